import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { allDevicesOk, smallPlantYaml, startTestGateway, TEST_ADMIN, type TestGateway } from "../helpers/gateway.js";
import { listenerPort, run, SSH_OPTIONS, sshPassword } from "./helpers.js";

const YAML = smallPlantYaml({
  extra: [
    "protocols:",
    "  ssh: { enabled: true, host: 127.0.0.1, port: 0, maxSessions: 16 }",
    "  telnet: { enabled: true, host: 127.0.0.1, port: 0, maxSessions: 8 }",
  ].join("\n"),
});

/** Runs an expect script; resolves with its exit code and transcript. */
function expectScript(dir: string, name: string, script: string) {
  const file = join(dir, name);
  writeFileSync(file, script);
  return run("expect", [file], { timeoutMs: 30_000 });
}

/** The OpenSSH client with a pty, logging in with a password through sshpass. */
function sshShell(port: number, user: string, password: string): string {
  return `sshpass -p ${password} ssh -tt ${SSH_OPTIONS.join(" ")} -o PubkeyAuthentication=no -p ${port} ${user}@127.0.0.1`;
}

/** A raw Telnet peer that collects what it receives (as latin1) and can wait for a text. */
class RawTelnet {
  private received = "";
  private waiters: (() => void)[] = [];
  readonly socket: Socket;
  closed = false;

  constructor(port: number) {
    this.socket = connect(port, "127.0.0.1");
    this.socket.on("data", (chunk: Buffer) => {
      this.received += chunk.toString("latin1");
      for (const w of this.waiters.splice(0)) w();
    });
    this.socket.on("error", () => {});
    this.socket.on("close", () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves once `text` arrived after `from` (an offset in the transcript); returns the offset after it. */
  async waitFor(text: string, from = 0, timeoutMs = 10_000): Promise<number> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const at = this.received.indexOf(text, from);
      if (at >= 0) return at + text.length;
      if (this.closed || Date.now() > end)
        throw new Error(`'${text}' not received; got …${JSON.stringify(this.received.slice(-300))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  get transcript(): string {
    return this.received;
  }

  async login(user: string, password: string): Promise<number> {
    await this.waitFor("login: ");
    this.socket.write(`${user}\r\n`);
    const at = await this.waitFor("Password: ");
    this.socket.write(`${password}\r\n`);
    return this.waitFor(`${user}@bmsgw> `, at);
  }
}

describe("Interactive console: forced password change, pager, hostile input", () => {
  let gateway: TestGateway;
  let sshPort: number;
  let telnetPort: number;
  const dir = mkdtempSync(join(tmpdir(), "bmsgw-console-interactive-"));
  // A remote Ctrl-Z once reached readline's default, which sends SIGTSTP to the whole gateway process.
  let stopSignals = 0;
  const onStop = () => {
    stopSignals++;
  };

  before(async () => {
    process.on("SIGTSTP", onStop);
    gateway = await startTestGateway(YAML);
    await allDevicesOk(gateway);
    sshPort = listenerPort(gateway, "ssh");
    telnetPort = listenerPort(gateway, "telnet");
    const users = gateway.auth.users;
    assert.ok(users);
    await users.add(TEST_ADMIN, "olga", "olga-operator-pw", ["operator"]);
    await users.add(TEST_ADMIN, "pia", "pia-first-password", ["operator"], { mustChangePassword: true });
    await users.add(TEST_ADMIN, "tom", "tom-first-password", ["viewer"], { mustChangePassword: true });
  });

  after(async () => {
    process.off("SIGTSTP", onStop);
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("asks for a new password over SSH before the first prompt, without echo, and keeps it", async () => {
    const result = await expectScript(
      dir,
      "ssh-passwd.exp",
      `set timeout 10
spawn ${sshShell(sshPort, "pia", "pia-first-password")}
expect "must be changed" {} timeout { exit 2 }
expect "New password for pia: " { send "pia-second-password\\r" } timeout { exit 3 }
expect "Retype the new password: " { send "not-the-same-password\\r" } timeout { exit 4 }
expect "E_CONSOLE_PASSWORD_MISMATCH" {} timeout { exit 5 }
expect "New password for pia: " { send "pia-second-password\\r" } timeout { exit 6 }
expect "Retype the new password: " { send "pia-second-password\\r" } timeout { exit 7 }
expect "Password changed." {} timeout { exit 8 }
expect "pia@bmsgw> " { send "whoami\\r" } timeout { exit 9 }
expect "pia (operator) via local" {} timeout { exit 10 }
expect "pia@bmsgw> " { send "\\033\\[A" } timeout { exit 11 }
expect "whoami" { send "\\033\\[A" } timeout { exit 12 }
expect -timeout 1 "second-password" { exit 13 } timeout {}
send "\\003exit\\r"
expect eof
exit 0
`,
    );
    assert.equal(result.code, 0, result.stdout);
    assert.doesNotMatch(result.stdout, /pia-second-password|not-the-same-password/);
    const old = await sshPassword(sshPort, "pia", "pia-first-password", "whoami");
    assert.equal(old.code, 5);
    const fresh = await sshPassword(sshPort, "pia", "pia-second-password", "show status");
    assert.equal(fresh.code, 0, fresh.stderr);
    const listed = await gateway.auth.users?.list(TEST_ADMIN);
    assert.equal(listed?.find((u) => u.name === "pia")?.mustChangePassword, false);
  });

  it("asks for a new password over Debian telnet before the first prompt", async () => {
    const result = await expectScript(
      dir,
      "telnet-passwd.exp",
      `set timeout 10
spawn telnet 127.0.0.1 ${telnetPort}
expect "login: " { send "tom\\r" } timeout { exit 2 }
expect "Password: " { send "tom-first-password\\r" } timeout { exit 3 }
expect "New password for tom: " { send "tom-second-password\\r" } timeout { exit 4 }
expect "Retype the new password: " { send "tom-second-password\\r" } timeout { exit 5 }
expect "Password changed." {} timeout { exit 6 }
expect "tom@bmsgw> " { send "whoami\\r" } timeout { exit 7 }
expect "tom (viewer) via local" {} timeout { exit 8 }
expect "tom@bmsgw> " { send "exit\\r" } timeout { exit 9 }
expect eof
exit 0
`,
    );
    assert.equal(result.code, 0, result.stdout);
    assert.doesNotMatch(result.stdout, /tom-second-password/);
    const fresh = await sshPassword(sshPort, "tom", "tom-second-password", "whoami");
    assert.equal(fresh.code, 0, fresh.stderr);
  });

  it("ends the session when the forced change is abandoned, and the old password still must be changed", async () => {
    await gateway.auth.users?.setPassword(TEST_ADMIN, "tom", "tom-reset-password", true);
    const client = new RawTelnet(telnetPort);
    await client.waitFor("login: ");
    client.socket.write("tom\r\n");
    await client.waitFor("Password: ");
    client.socket.write("tom-reset-password\r\n");
    await client.waitFor("New password for tom: ");
    client.socket.write("\x03");
    await client.waitFor("E_CONSOLE_PASSWORD_CHANGE_REQUIRED");
    assert.doesNotMatch(client.transcript, /tom@bmsgw> /);
    const blocked = await sshPassword(sshPort, "tom", "tom-reset-password", "show alarms");
    assert.equal(blocked.code, 3);
    assert.match(blocked.stderr, /E_CONSOLE_PASSWORD_CHANGE_REQUIRED/);
    client.socket.destroy();
  });

  it("pages long output on a 10-row terminal: space shows the next page, q stops", async () => {
    const result = await expectScript(
      dir,
      "pager.exp",
      `set timeout 10
set stty_init "rows 10 columns 80"
spawn ${sshShell(sshPort, "olga", "olga-operator-pw")}
expect "olga@bmsgw> " { send "show blocks\\r" } timeout { exit 2 }
expect -re "Block +Voltage" {} timeout { exit 3 }
expect "1/7" {} timeout { exit 4 }
expect {
  "2/1" { exit 5 }
  -ex "--More--" { send " " }
  timeout { exit 6 }
}
expect "2/8" {} timeout { exit 7 }
expect "olga@bmsgw> " { send "show blocks\\r" } timeout { exit 8 }
expect -ex "--More--" { send "q" } timeout { exit 9 }
expect {
  "2/8" { exit 10 }
  "olga@bmsgw> " { send "exit\\r" }
  timeout { exit 11 }
}
expect eof
exit 0
`,
    );
    assert.equal(result.code, 0, result.stdout);
  });

  it("shrugs off control characters in the SSH shell; Ctrl-Z never stops the gateway", async () => {
    const result = await expectScript(
      dir,
      "control.exp",
      `set timeout 10
spawn ${sshShell(sshPort, "olga", "olga-operator-pw")}
expect "olga@bmsgw> " { send "show\\032 stat\\033\\[5~\\033OP\\000\\007\\033\\[99;99R" } timeout { exit 2 }
send "\\003"
expect -ex "^C" {} timeout { exit 3 }
expect "olga@bmsgw> " { send "\\032\\032whoami\\r" } timeout { exit 4 }
expect "olga (operator) via local" {} timeout { exit 5 }
expect "olga@bmsgw> " { send "exit\\r" } timeout { exit 6 }
expect eof
exit 0
`,
    );
    assert.equal(result.code, 0, result.stdout);
    assert.equal(stopSignals, 0);
  });

  it("refuses a 1 MB line typed into an SSH pty without buffering it, and keeps the session", async () => {
    const result = await run(
      "sshpass",
      [
        "-p",
        "olga-operator-pw",
        "ssh",
        ...SSH_OPTIONS,
        "-o",
        "PubkeyAuthentication=no",
        "-tt",
        "-p",
        String(sshPort),
        "olga@127.0.0.1",
      ],
      { input: `${"z".repeat(1024 * 1024)}\rwhoami\rexit\r` },
    );
    assert.match(result.stdout, /E_CONSOLE_LINE_TOO_LONG/);
    assert.match(result.stdout, /olga \(operator\) via local/);
    // Echo stops at the cap: far less than the megabyte comes back.
    assert.ok(result.stdout.length < 64 * 1024, `echoed ${result.stdout.length} bytes`);
  });

  it("survives hundreds of Telnet connections opened and dropped, some mid-login, and keeps serving", async () => {
    await Promise.all(
      Array.from(
        { length: 200 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const socket = connect(telnetPort, "127.0.0.1", () => {
              if (i % 2 === 0) socket.write("olga\r\n");
              socket.destroy();
            });
            socket.on("error", () => resolve());
            socket.on("close", () => resolve());
          }),
      ),
    );
    const client = new RawTelnet(telnetPort);
    const at = await client.login("olga", "olga-operator-pw");
    client.socket.write("whoami\r");
    await client.waitFor("olga (operator) via local", at);
    client.socket.write("exit\r");
  });

  it("survives a 1 MB line and binary garbage after a Telnet login; other sessions keep working", async () => {
    const noisy = new RawTelnet(telnetPort);
    let at = await noisy.login("olga", "olga-operator-pw");
    noisy.socket.write(`${"y".repeat(1024 * 1024)}\r`);
    at = await noisy.waitFor("E_CONSOLE_LINE_TOO_LONG", at);
    noisy.socket.write("whoami\r");
    await noisy.waitFor("olga (operator) via local", at);
    const bystander = new RawTelnet(telnetPort);
    await bystander.login("olga", "olga-operator-pw");
    const garbage = Buffer.alloc(256 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 13;
    garbage.set([255, 250, 24, 0, 65, 66], 1000); // TTYPE IS without its end
    garbage.set([26, 3, 26, 27, 91], 2000); // Ctrl-Z, Ctrl-C, a broken escape sequence
    noisy.socket.write(garbage);
    noisy.socket.destroy();
    const mark = bystander.transcript.length;
    bystander.socket.write("show status\r");
    await bystander.waitFor("reporting", mark);
    bystander.socket.write("exit\r");
    const fresh = await sshPassword(sshPort, "olga", "olga-operator-pw", "whoami");
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.equal(gateway.health().find((h) => h.component === "telnet")?.state, "ok");
    assert.equal(stopSignals, 0);
  });
});
