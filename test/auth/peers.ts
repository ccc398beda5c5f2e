/** Starts the real RADIUS and LDAP servers the auth tests talk to, on loopback, from config in a temp dir. */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, freePorts } from "../helpers/ports.js";

export interface Daemon {
  readonly dir: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Spawns a daemon and resolves once `ready` appears in its output; stop() kills it by PID and removes `dir`. */
function startDaemon(command: string, args: string[], dir: string, ready: RegExp): Promise<Daemon> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`${command} did not become ready:\n${output.slice(-3000)}`));
    }, 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        done({
          dir,
          process: child,
          stop: () =>
            new Promise<void>((stopped) => {
              const finish = () => {
                rmSync(dir, { recursive: true, force: true });
                stopped();
              };
              if (child.exitCode !== null || child.signalCode !== null) return finish();
              child.once("exit", finish);
              if (child.pid) process.kill(child.pid, "SIGTERM");
            }),
        });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`${command} exited with ${code}:\n${output.slice(-3000)}`));
    });
  });
}

export const RADIUS_SECRET = "loopback-test-secret-1";

/**
 * FreeRADIUS with PAP users, `require_message_authenticator` for the client, and a Message-Authenticator on
 * every reply (what servers patched for BlastRADIUS send) — except for user `legacy`, whose Access-Accept
 * lacks it, like an unpatched server.
 */
export async function startFreeRadius(): Promise<Daemon & { port: number }> {
  const dir = mkdtempSync(join(tmpdir(), "bmsgw-radius-"));
  const port = await freePort();
  writeFileSync(
    join(dir, "radiusd.conf"),
    `prefix = /usr
confdir = ${dir}
logdir = ${dir}
run_dir = ${dir}
raddbdir = ${dir}
libdir = /usr/lib/freeradius
pidfile = ${dir}/radiusd.pid
dictdir = /usr/share/freeradius
max_request_time = 5
cleanup_delay = 0
max_requests = 1024
hostname_lookups = no
log {
  destination = stdout
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
client loopback {
  ipaddr = 127.0.0.1
  secret = ${RADIUS_SECRET}
  require_message_authenticator = yes
}
modules {
  pap {
  }
  files {
    filename = ${dir}/users
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${port}
  }
  authorize {
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
  }
  post-auth {
    if (User-Name != "legacy") {
      update reply {
        Message-Authenticator := 0x00
      }
    }
    Post-Auth-Type REJECT {
      update reply {
        Message-Authenticator := 0x00
      }
    }
  }
}
`,
  );
  writeFileSync(
    join(dir, "users"),
    `alice Cleartext-Password := "alice-radius-pw"
    Filter-Id := "bms-operators", Class := "bms-admins"
carol Cleartext-Password := "carol-radius-pw"
    Filter-Id := "unmapped-group"
admin Cleartext-Password := "admin-radius-pw"
    Filter-Id := "bms-admins"
legacy Cleartext-Password := "legacy-radius-pw"
    Filter-Id := "bms-admins"
`,
  );
  const daemon = await startDaemon("freeradius", ["-X", "-d", dir, "-n", "radiusd"], dir, /Ready to process requests/);
  return { ...daemon, port };
}

/** A test CA and a server certificate for 127.0.0.1/localhost, made with openssl. */
export function makeCertificates(dir: string): { ca: string; cert: string; key: string; otherCa: string } {
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  run(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=bmsgw test CA"]);
  run(["req", "-x509", ...ec, "-keyout", "other.key", "-out", "other-ca.crt", "-days", "2", "-subj", "/CN=other CA"]);
  run(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]);
  writeFileSync(join(dir, "ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  run(
    ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"].concat([
      "-out",
      "server.crt",
      "-days",
      "2",
      "-extfile",
      "ext.cnf",
    ]),
  );
  return {
    ca: join(dir, "ca.crt"),
    cert: join(dir, "server.crt"),
    key: join(dir, "server.key"),
    otherCa: join(dir, "other-ca.crt"),
  };
}

export const LDAP_BASE = "dc=example,dc=test";
export const LDAP_ADMIN = `cn=admin,${LDAP_BASE}`;
export const LDAP_ADMIN_PW = "slapd-root-pw-1";
export const SERVICE_DN = `cn=bmsgw-service,${LDAP_BASE}`;
export const SERVICE_PW = "service-account-pw-1";

const adObject = (category: string) =>
  `instanceType: 4\nobjectCategory: cn=${category},cn=Schema,${LDAP_BASE}\nnTSecurityDescriptor:: AA==\n`;

/**
 * OpenLDAP's copy of the AD schema declares no matching rules for the attributes a login searches, so equality
 * filters on them never match; AD itself matches them case-insensitively (DNs as DNs). Add those rules.
 */
function adLikeSchema(): string {
  const rules: Record<string, string> = {
    sAMAccountName: "EQUALITY caseIgnoreMatch",
    userPrincipalName: "EQUALITY caseIgnoreMatch",
    userAccountControl: "EQUALITY integerMatch",
    memberOf: "EQUALITY distinguishedNameMatch",
  };
  let text = readFileSync("/etc/ldap/schema/msuser.schema", "utf8");
  for (const [name, rule] of Object.entries(rules))
    text = text.replace(new RegExp(`(NAME '${name}'\\s*\\n)`), `$1\t${rule}\n`);
  return text;
}

/**
 * slapd with LDAP (StartTLS) and LDAPS listeners, an OpenLDAP-style tree (inetOrgPerson, nested groupOfNames)
 * under ou=people/ou=groups, and an AD-like tree (OpenLDAP's msuser.schema: user/group, sAMAccountName,
 * userPrincipalName, userAccountControl, memberOf) under ou=ad.
 */
export async function startSlapd(): Promise<
  Daemon & { ldapPort: number; ldapsPort: number; ca: string; otherCa: string }
> {
  const dir = mkdtempSync(join(tmpdir(), "bmsgw-slapd-"));
  mkdirSync(join(dir, "db"));
  const certs = makeCertificates(dir);
  const [ldapPort, ldapsPort] = (await freePorts(2)) as [number, number];
  writeFileSync(join(dir, "msuser.schema"), adLikeSchema());
  writeFileSync(
    join(dir, "slapd.conf"),
    `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
include ${dir}/msuser.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile ${dir}/slapd.pid
TLSCACertificateFile ${certs.ca}
TLSCertificateFile ${certs.cert}
TLSCertificateKeyFile ${certs.key}
database mdb
suffix "${LDAP_BASE}"
rootdn "${LDAP_ADMIN}"
rootpw ${LDAP_ADMIN_PW}
directory ${dir}/db
access to attrs=userPassword by self write by anonymous auth by * none
access to * by dn.exact="${SERVICE_DN}" read by self read by * none
`,
  );
  const people = `ou=people,${LDAP_BASE}`;
  const groups = `ou=groups,${LDAP_BASE}`;
  const ad = `ou=ad,${LDAP_BASE}`;
  const person = (uid: string, pw: string) =>
    `dn: uid=${uid},${people}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${uid}\nsn: ${uid}\nuserPassword: ${pw}\n`;
  const adUser = (name: string, uac: number, memberOf: string[], extra = "") =>
    `dn: cn=${name},${ad}\nobjectClass: user\nobjectClass: extensibleObject\n${adObject("Person")}cn: ${name}\nsn: ${name}\n` +
    `sAMAccountName: ${name}\nuserPrincipalName: ${name}@example.test\nuserAccountControl: ${uac}\n` +
    `userPassword: ${name}-ad-pw\n${memberOf.map((g) => `memberOf: ${g}\n`).join("")}${extra}`;
  const adGroup = (name: string, members: string[]) =>
    `dn: cn=${name},${ad}\nobjectClass: group\n${adObject("Group")}cn: ${name}\ngroupType: -2147483646\n${members.map((m) => `member: ${m}\n`).join("")}`;
  const ldif = [
    `dn: ${LDAP_BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n`,
    `dn: ${SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: bmsgw-service\nuserPassword: ${SERVICE_PW}\n`,
    `dn: ${people}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ${groups}\nobjectClass: organizationalUnit\nou: groups\n`,
    `dn: ${ad}\nobjectClass: organizationalUnit\nou: ad\n`,
    person("dave", "dave-ldap-pw"),
    person("erin", "erin-ldap-pw"),
    person("frank", "frank-ldap-pw"),
    // dave is in field-engineers, which is nested in bms-operators; erin is directly in bms-admins.
    `dn: cn=field-engineers,${groups}\nobjectClass: groupOfNames\ncn: field-engineers\nmember: uid=dave,${people}\n`,
    `dn: cn=bms-operators,${groups}\nobjectClass: groupOfNames\ncn: bms-operators\nmember: cn=field-engineers,${groups}\n`,
    `dn: cn=bms-admins,${groups}\nobjectClass: groupOfNames\ncn: bms-admins\nmember: uid=erin,${people}\n`,
    adGroup("BMS Operators", [`cn=grace,${ad}`]),
    adUser("grace", 512, [`cn=BMS Operators,${ad}`]),
    adUser("henry", 514, [`cn=BMS Operators,${ad}`]),
    adUser("ivan", 512, [`cn=BMS Operators,${ad}`], "lockoutTime: 133000000000000000\n"),
  ].join("\n");
  writeFileSync(join(dir, "data.ldif"), ldif);
  execFileSync("slapadd", ["-f", join(dir, "slapd.conf"), "-l", join(dir, "data.ldif")], { stdio: "pipe" });
  // -d keeps slapd in the foreground, so it is our child and is stopped by PID; 256 (stats) prints "slapd starting".
  const daemon = await startDaemon(
    "slapd",
    ["-d", "256", "-h", `ldap://127.0.0.1:${ldapPort}/ ldaps://127.0.0.1:${ldapsPort}/`, "-f", join(dir, "slapd.conf")],
    dir,
    /slapd starting/,
  );
  return { ...daemon, ldapPort, ldapsPort, ca: certs.ca, otherCa: certs.otherCa };
}
