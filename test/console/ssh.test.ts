import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { allDevicesOk, smallPlantYaml, startTestGateway, TEST_ADMIN, type TestGateway } from "../helpers/gateway.js";
import { listenerPort, run, SSH_OPTIONS, sshPassword } from "./helpers.js";

const YAML = smallPlantYaml({
  extra: [
    "protocols:",
    "  ssh: { enabled: true, host: 127.0.0.1, port: 0, maxSessions: 4 }",
    "auth: { lockout: { maxFailures: 3, maxFailuresPerAddress: 1000 } }",
  ].join("\n"),
});

describe("SSH console", () => {
  let gateway: TestGateway;
  let port: number;
  const keyDir = mkdtempSync(join(tmpdir(), "bmsgw-ssh-key-"));
  const keyFile = join(keyDir, "id_ed25519");

  before(async () => {
    gateway = await startTestGateway(YAML);
    await allDevicesOk(gateway);
    port = listenerPort(gateway, "ssh");
    const users = gateway.auth.users;
    assert.ok(users);
    await users.add(TEST_ADMIN, "olga", "olga-operator-pw", ["operator"]);
    await users.add(TEST_ADMIN, "vera", "vera-viewer-pw", ["viewer"]);
    await users.add(TEST_ADMIN, "lena", "lena-locked-pw", ["viewer"]);
    const keygen = await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
    assert.equal(keygen.code, 0, keygen.stderr);
    await users.add(TEST_ADMIN, "kurt", "kurt-keyuser-pw", ["admin"], {
      keys: [readFileSync(`${keyFile}.pub`, "utf8").trim()],
    });
  });

  after(async () => {
    await gateway?.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it("generates an ed25519 host key on first start and keeps it private", () => {
    const file = join(gateway.storagePath, "ssh", "host-ed25519.key");
    assert.match(readFileSync(file, "utf8"), /BEGIN OPENSSH PRIVATE KEY/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it("runs a single command with a password login and returns JSON matching the model", async () => {
    const result = await sshPassword(port, "olga", "olga-operator-pw", "show strings --json");
    assert.equal(result.code, 0, result.stderr);
    const strings = JSON.parse(result.stdout) as { id: number; blocks: number; "string.voltage": number | null }[];
    const snapshot = gateway.model.current();
    assert.deepEqual(
      strings.map((s) => [s.id, s.blocks]),
      snapshot.topology.strings.map((s) => [s.id, s.blockCount]),
    );
    for (const s of strings) assert.equal(typeof s["string.voltage"], "number");
  });

  it("shows a block's points as JSON with the model's values", async () => {
    const result = await sshPassword(port, "olga", "olga-operator-pw", "show block 1/3 --json");
    assert.equal(result.code, 0, result.stderr);
    const block = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(block.string, 1);
    assert.equal(block.block, 3);
    assert.equal(typeof block["block.voltage"], "number");
  });

  it("lists active alarms as JSON equal to the snapshot's alarms", async () => {
    const result = await sshPassword(port, "vera", "vera-viewer-pw", "show alarms --json");
    assert.equal(result.code, 0, result.stderr);
    const ids = (JSON.parse(result.stdout) as { id: number }[]).map((a) => a.id).sort();
    assert.deepEqual(
      ids,
      gateway.model
        .current()
        .alarms.map((a) => a.id)
        .sort(),
    );
  });

  it("returns exit code 2 for an unknown command and 3 when the role is too low", async () => {
    const unknown = await sshPassword(port, "vera", "vera-viewer-pw", "frobnicate");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /E_CONSOLE_UNKNOWN/);
    const refused = await sshPassword(port, "vera", "vera-viewer-pw", "equalize on string 1");
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /E_FORBIDDEN/);
  });

  it("refuses a viewer's config set and audits the refusal", async () => {
    const result = await sshPassword(port, "vera", "vera-viewer-pw", "config set logging.level debug");
    assert.equal(result.code, 3);
    assert.match(result.stderr, /E_FORBIDDEN/);
    const log = gateway.services.eventLog;
    assert.ok(log);
    await log.flush();
    const refused = log
      .query({ user: "vera", kind: "audit" })
      .filter((e) => e.name === "command" && e.detail?.outcome === "refused" && e.text.includes("config set"));
    assert.equal(refused.length, 1);
    assert.equal(refused[0]?.detail?.protocol, "ssh");
  });

  it("logs in with keyboard-interactive through the same auth chain", async () => {
    const result = await run("sshpass", [
      "-p",
      "olga-operator-pw",
      "ssh",
      ...SSH_OPTIONS,
      "-o",
      "PreferredAuthentications=keyboard-interactive",
      "-o",
      "PubkeyAuthentication=no",
      "-p",
      String(port),
      "olga@127.0.0.1",
      "whoami --json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { user: "olga", roles: ["operator"], source: "local" });
  });

  it("logs in with a public key and reports who is logged in", async () => {
    const result = await run("ssh", [
      ...SSH_OPTIONS,
      "-o",
      "BatchMode=yes",
      "-o",
      "IdentitiesOnly=yes",
      "-i",
      keyFile,
      "-p",
      String(port),
      "kurt@127.0.0.1",
      "whoami --json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { user: "kurt", roles: ["admin"], source: "local" });
  });

  it("refuses a public key that is not the user's", async () => {
    const result = await run("ssh", [
      ...SSH_OPTIONS,
      "-o",
      "BatchMode=yes",
      "-o",
      "IdentitiesOnly=yes",
      "-i",
      keyFile,
      "-p",
      String(port),
      "olga@127.0.0.1",
      "whoami",
    ]);
    assert.equal(result.code, 255);
    assert.match(result.stderr, /Permission denied/);
  });

  it("offers only modern algorithms", async () => {
    const weak = await run("ssh", [
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "-o",
      "BatchMode=yes",
      "-o",
      "Ciphers=aes128-ctr",
      "-p",
      String(port),
      "olga@127.0.0.1",
      "whoami",
    ]);
    assert.equal(weak.code, 255);
    assert.match(weak.stderr, /no matching cipher/);
  });

  it("locks a user out after wrong passwords, even with the right one afterwards", async () => {
    for (let i = 0; i < 3; i++) {
      const wrong = await sshPassword(port, "lena", `wrong-password-${i}`, "whoami");
      assert.equal(wrong.code, 5); // sshpass: invalid password
    }
    const locked = await sshPassword(port, "lena", "lena-locked-pw", "whoami");
    assert.notEqual(locked.code, 0);
    const other = await sshPassword(port, "olga", "olga-operator-pw", "whoami");
    assert.equal(other.code, 0, other.stderr);
  });

  it("survives hundreds of connections opened and dropped and keeps serving", async () => {
    const drops = Array.from(
      { length: 300 },
      (_, i) =>
        new Promise<void>((resolve) => {
          const socket = connect(port, "127.0.0.1");
          socket.on("connect", () => {
            if (i % 2 === 0) socket.write("SSH-2.0-flood\r\n");
            socket.destroy();
          });
          socket.on("error", () => resolve());
          socket.on("close", () => resolve());
        }),
    );
    await Promise.all(drops);
    const result = await sshPassword(port, "olga", "olga-operator-pw", "whoami");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /olga \(operator\) via local/);
  });

  it("refuses a 1 MB command line and keeps serving", async () => {
    const result = await run(
      "sshpass",
      [
        "-p",
        "olga-operator-pw",
        "ssh",
        ...SSH_OPTIONS,
        "-o",
        "PubkeyAuthentication=no",
        "-T",
        "-p",
        String(port),
        "olga@127.0.0.1",
      ],
      { input: `${"x".repeat(1024 * 1024)}\nwhoami\nexit\n` },
    );
    assert.match(result.stdout, /E_CONSOLE_LINE_TOO_LONG/);
    assert.match(result.stdout, /olga \(operator\)/);
    const longExec = await sshPassword(port, "olga", "olga-operator-pw", `whoami ${"x".repeat(10_000)}`);
    assert.equal(longExec.code, 2);
    assert.match(longExec.stderr, /E_CONSOLE_LINE_TOO_LONG/);
    const after = await sshPassword(port, "olga", "olga-operator-pw", "show status");
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, /Blocks\s+16\/16 reporting/);
  });
});
