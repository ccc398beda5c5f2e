import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { allDevicesOk, smallPlantYaml, startTestGateway, TEST_ADMIN, type TestGateway } from "../helpers/gateway.js";
import { listenerPort, run, sshPassword } from "./helpers.js";

const YAML = smallPlantYaml({
  extra: [
    "protocols:",
    "  ssh: { enabled: true, host: 127.0.0.1, port: 0 }",
    "  telnet: { enabled: true, host: 127.0.0.1, port: 0 }",
  ].join("\n"),
});

/** Runs an expect script; resolves with its exit code and transcript. */
async function expectScript(dir: string, name: string, script: string) {
  const file = join(dir, name);
  writeFileSync(file, script);
  return run("expect", [file], { timeoutMs: 30_000 });
}

describe("Telnet console and interactive SSH shell", () => {
  let gateway: TestGateway;
  let sshPort: number;
  let telnetPort: number;
  const dir = mkdtempSync(join(tmpdir(), "bmsgw-console-"));

  before(async () => {
    gateway = await startTestGateway(YAML);
    await allDevicesOk(gateway);
    sshPort = listenerPort(gateway, "ssh");
    telnetPort = listenerPort(gateway, "telnet");
    await gateway.auth.users?.add(TEST_ADMIN, "olga", "olga-operator-pw", ["operator"]);
  });

  after(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("logs in over Debian telnet and runs commands, refusing a wrong password first", async () => {
    const result = await expectScript(
      dir,
      "telnet.exp",
      `set timeout 10
spawn telnet 127.0.0.1 ${telnetPort}
expect "login: " { send "olga\\r" } timeout { exit 2 }
expect "Password: " { send "not-the-password\\r" } timeout { exit 3 }
expect "Login incorrect" {} timeout { exit 4 }
expect "login: " { send "olga\\r" } timeout { exit 5 }
expect "Password: " { send "olga-operator-pw\\r" } timeout { exit 6 }
expect "olga@bmsgw> " { send "whoami\\r" } timeout { exit 7 }
expect "olga (operator) via local" {} timeout { exit 8 }
expect "olga@bmsgw> " { send "show strings\\r" } timeout { exit 9 }
expect -re "String +Name" {} timeout { exit 10 }
expect "olga@bmsgw> " { send "exit\\r" } timeout { exit 11 }
expect eof
exit 0
`,
    );
    assert.equal(result.code, 0, result.stdout);
  });

  it("survives binary garbage on telnet and keeps serving other sessions", async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(telnetPort, "127.0.0.1", () => {
        const garbage = Buffer.alloc(256 * 1024);
        for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + (i >> 3)) & 0xff;
        // Unterminated subnegotiations and IAC runs among the noise.
        garbage.set([255, 250, 31, 0, 80], 100);
        garbage.set([255, 255, 255, 251], 5000);
        socket.write(garbage);
        setTimeout(() => socket.destroy(), 200);
      });
      socket.on("error", () => resolve());
      socket.on("close", () => resolve());
    });
    const result = await sshPassword(sshPort, "olga", "olga-operator-pw", "whoami");
    assert.equal(result.code, 0, result.stderr);
    const health = gateway.health().find((h) => h.component === "telnet");
    assert.equal(health?.state, "ok");
  });

  it("offers tab completion and history in the interactive SSH shell", async () => {
    const result = await expectScript(
      dir,
      "shell.exp",
      `set timeout 10
spawn sshpass -p olga-operator-pw ssh -tt -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o PubkeyAuthentication=no -p ${sshPort} olga@127.0.0.1
expect "olga@bmsgw> " { send "sho\\t" } timeout { exit 2 }
expect "show" { send " stri\\t" } timeout { exit 3 }
expect "string" { send "s\\r" } timeout { exit 4 }
expect -re "String +Name" {} timeout { exit 5 }
expect "olga@bmsgw> " { send "\\033\\[A" } timeout { exit 6 }
expect "show strings" { send "\\r" } timeout { exit 7 }
expect -re "String +Name" {} timeout { exit 8 }
expect "olga@bmsgw> " { send "exit\\r" } timeout { exit 12 }
expect eof
exit 0
`,
    );
    assert.equal(result.code, 0, result.stdout);
  });
});
