import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { allDevicesOk, smallPlantYaml, startTestGateway, TEST_ADMIN, type TestGateway } from "../helpers/gateway.js";
import { listenerPort, sshPassword } from "./helpers.js";

const YAML = smallPlantYaml({
  extra: [
    "protocols:",
    "  ssh: { enabled: true, host: 127.0.0.1, port: 0, maxSessions: 16 }",
    "history: { interval: 1s, tick: 200ms, flushInterval: 200ms }",
  ].join("\n"),
});

describe("Console administration and data commands over OpenSSH exec", () => {
  let gateway: TestGateway;
  let port: number;
  const dir = mkdtempSync(join(tmpdir(), "bmsgw-console-admin-"));
  const configFile = join(dir, "gateway.yaml");

  const admin = (command: string) => sshPassword(port, "ada", "ada-admin-password", command);
  const viewer = (command: string) => sshPassword(port, "vera", "vera-viewer-pw", command);

  before(async () => {
    writeFileSync(configFile, YAML);
    gateway = await startTestGateway(YAML, { configFile });
    await allDevicesOk(gateway);
    port = listenerPort(gateway, "ssh");
    const users = gateway.auth.users;
    assert.ok(users);
    await users.add(TEST_ADMIN, "ada", "ada-admin-password", ["admin"]);
    await users.add(TEST_ADMIN, "olga", "olga-operator-pw", ["operator"]);
    await users.add(TEST_ADMIN, "vera", "vera-viewer-pw", ["viewer"]);
  });

  after(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lets an admin change an alarm setting by name: validated, written to the file and in force at once", async () => {
    const result = await admin("config set blockVoltageHighAlarm 14.65");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /alarms\.thresholds\.blockVoltage\.highAlarm = 14\.65/);
    assert.match(result.stdout, /Restart required: no/);
    const written = parse(readFileSync(configFile, "utf8")) as { alarms: { thresholds: Record<string, unknown> } };
    assert.deepEqual(written.alarms.thresholds.blockVoltage, { highAlarm: 14.65 });
    const setting = gateway.services.settings?.list().find((s) => s.name === "blockVoltageHighAlarm");
    assert.equal(setting?.value, 14.65);
    assert.equal(setting?.configured, true);
  });

  it("says when a change needs a restart, and keeps durations as written", async () => {
    const result = await admin("config set protocols.ssh.idleTimeout 20m --json");
    assert.equal(result.code, 0, result.stderr);
    const answer = JSON.parse(result.stdout) as { ok: boolean; data: { restartRequired: boolean; value: unknown } };
    assert.equal(answer.ok, true);
    assert.equal(answer.data.restartRequired, true);
    assert.equal(answer.data.value, 20 * 60_000);
    const written = parse(readFileSync(configFile, "utf8")) as { protocols: { ssh: { idleTimeout: unknown } } };
    assert.equal(written.protocols.ssh.idleTimeout, "20m");
  });

  it("refuses an invalid value with the config path and leaves the file alone", async () => {
    const before = readFileSync(configFile, "utf8");
    const result = await admin("config set alarms.thresholds.soc.low banana");
    assert.equal(result.code, 1);
    assert.match(result.stderr, /E_CONFIG_INVALID: alarms\.thresholds\.soc\.low: /);
    assert.equal(readFileSync(configFile, "utf8"), before);
    const garbage = await admin("config set 'no such path!' 1");
    assert.equal(garbage.code, 2);
    assert.match(garbage.stderr, /E_CONSOLE_CONFIG_PATH/);
  });

  it("lists the settings in force as JSON equal to the settings catalogue view", async () => {
    const result = await viewer("show settings --json");
    assert.equal(result.code, 0, result.stderr);
    const shown = JSON.parse(result.stdout) as { name: string; value: number; configured: boolean }[];
    const list = gateway.services.settings?.list() ?? [];
    assert.deepEqual(
      shown.map((s) => [s.name, s.value, s.configured]),
      list.map((s) => [s.name, s.value, s.configured]),
    );
  });

  it("shows the running configuration to admins with secrets hidden, and refuses viewers", async () => {
    const result = await admin("config show alarms.thresholds --json");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { blockVoltage: { highAlarm: 14.65 } });
    const whole = await admin("show config");
    assert.equal(whole.code, 0, whole.stderr);
    assert.match(whole.stdout, /^site:/m);
    const refused = await viewer("show config");
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /E_FORBIDDEN/);
  });

  it("refuses an operator's config set with exit code 3 and changes nothing", async () => {
    const result = await sshPassword(port, "olga", "olga-operator-pw", "config set soc.low 5");
    assert.equal(result.code, 3);
    assert.match(result.stderr, /E_FORBIDDEN/);
    assert.equal(gateway.services.settings?.list().find((s) => s.name === "socLow")?.configured, false);
  });

  it("shows a block's recorded history as JSON equal to the history service's answer", async () => {
    const history = gateway.services.history;
    assert.ok(history);
    const query = () =>
      history.query({
        point: "block.voltage",
        stringId: 1,
        block: 2,
        from: Date.now() - 3_600_000,
        to: Date.now() + 1,
        resolution: "raw",
      });
    await waitUntil(() => (query()[0]?.data.time.length ?? 0) >= 2);
    const result = await viewer("show history 1/2 voltage --range 1h --json");
    assert.equal(result.code, 0, result.stderr);
    const shown = JSON.parse(result.stdout) as {
      point: string;
      unit: string;
      samples: { time: number; avg: number }[];
    };
    assert.equal(shown.point, "block.voltage");
    assert.equal(shown.unit, "V");
    const stored = query()[0]?.data;
    assert.ok(stored);
    assert.ok(shown.samples.length >= 2);
    for (const sample of shown.samples) {
      const i = stored.time.indexOf(sample.time);
      assert.ok(i >= 0, `sample at ${sample.time} is stored`);
      assert.equal(sample.avg, stored.avg[i]);
    }
    const text = await viewer("show history 1 current");
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Current \(A\) of string 1, last 1h/);
    const bad = await viewer("show history 9/9");
    assert.equal(bad.code, 4);
    assert.match(bad.stderr, /E_CONSOLE_NO_BLOCK/);
  });

  it("shows the protection outputs as JSON matching the model after the remote input goes off", async () => {
    const sim = await admin("sim remote 2 off");
    assert.equal(sim.code, 0, sim.stderr);
    await gateway.waitFor((s) => s.value("string.remoteOnOff", 1) === 0);
    const result = await viewer("show outputs --json");
    assert.equal(result.code, 0, result.stderr);
    const outputs = JSON.parse(result.stdout) as Record<string, number | null>[];
    const snapshot = gateway.model.current();
    assert.deepEqual(
      outputs.map((o) => [o.string, o["string.remoteOnOff"]]),
      snapshot.topology.strings.map((s) => [s.id, snapshot.value("string.remoteOnOff", s.index)]),
    );
    assert.equal(outputs[1]?.["string.remoteOnOff"], 0);
    const text = await viewer("show outputs");
    assert.match(text.stdout, /^ *2 +connected +allowed +off/m);
  });

  it("lists a discharge the analysis service recorded", async () => {
    const analysis = gateway.services.analysis;
    assert.ok(analysis);
    const sim = await admin("sim discharge 1 40");
    assert.equal(sim.code, 0, sim.stderr);
    await waitUntil(() => analysis.discharges({ stringId: 1 }).length > 0, 15_000);
    const result = await viewer("show discharges string 1 --json");
    assert.equal(result.code, 0, result.stderr);
    const shown = JSON.parse(result.stdout) as { id: number; stringId: number }[];
    assert.ok(shown.length > 0);
    assert.deepEqual(
      shown.map((d) => d.id),
      analysis.discharges({ stringId: 1, limit: 20 }).map((d) => d.id),
    );
    const text = await viewer("show discharges");
    assert.match(text.stdout, /Id +Str +Start \(UTC\)/);
    await admin("sim float 1");
  });

  it("adds a user with a one-time password, which must be changed before any command", async () => {
    const added = await admin("user add nina --role operator --json");
    assert.equal(added.code, 0, added.stderr);
    const info = JSON.parse(added.stdout) as { name: string; roles: string[]; password: string };
    assert.deepEqual(info.roles, ["operator"]);
    assert.match(info.password, /^\S{12,}$/);
    const blocked = await sshPassword(port, "nina", info.password, "show status");
    assert.equal(blocked.code, 3);
    assert.match(blocked.stderr, /E_CONSOLE_PASSWORD_CHANGE_REQUIRED/);
    const listed = await admin("show users --json");
    const nina = (JSON.parse(listed.stdout) as { name: string; mustChangePassword: boolean }[]).find(
      (u) => u.name === "nina",
    );
    assert.equal(nina?.mustChangePassword, true);
  });

  it("resets another user's password and deletes users; a viewer may do neither and is audited", async () => {
    const reset = await admin("user passwd nina --json");
    assert.equal(reset.code, 0, reset.stderr);
    const { password } = JSON.parse(reset.stdout) as { password: string };
    assert.ok(password);
    const refused = await viewer("user del nina");
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /E_FORBIDDEN/);
    const deleted = await admin("user del nina");
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = await sshPassword(port, "nina", password, "whoami");
    assert.equal(gone.code, 5); // sshpass: the password was refused
    const log = gateway.services.eventLog;
    assert.ok(log);
    await log.flush();
    const audit = log.query({ user: "vera", kind: "audit" });
    assert.ok(audit.some((e) => e.detail?.outcome === "refused" && e.text.includes("delete user nina")));
    const ownExec = await viewer("user passwd");
    assert.equal(ownExec.code, 2);
    assert.match(ownExec.stderr, /E_CONSOLE_INTERACTIVE/);
  });

  it("discovers the devices of a running bus through the poller and reports one gone silent as missing", async () => {
    const configured = gateway.topology.devices
      .filter((d) => d.bus === "bus2")
      .map((d) => d.address)
      .sort((a, b) => a - b);
    const result = await admin("discover bus2 --json");
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { found: { address: number }[]; missing: unknown[] };
    assert.deepEqual(
      report.found.map((f) => f.address),
      configured,
    );
    assert.deepEqual(report.missing, []);
    const offline = await admin("sim offline 2 relay");
    assert.equal(offline.code, 0, offline.stderr);
    const missing = await admin("discover bus2");
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /^ *220 +\S+ +- +- +MISSING/m);
    await admin("sim online 2 relay");
    const refused = await viewer("discover bus2");
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /E_FORBIDDEN/);
  });

  it("answers help for every command with a usage line", async () => {
    const result = await viewer("help");
    assert.equal(result.code, 0, result.stderr);
    for (const command of ["config set", "show history", "show discharges", "show outputs", "user add", "discover"])
      assert.match(result.stdout, new RegExp(`^${command}`, "m"));
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}
