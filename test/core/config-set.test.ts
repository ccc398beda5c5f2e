import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { redactSecrets } from "../../src/app/config-editor.js";
import type { Principal } from "../../src/core/adapter.js";
import { parseConfigPath } from "../../src/core/config/paths.js";
import type { EventRecord } from "../../src/core/events.js";
import {
  allDevicesOk,
  rowOf,
  sim,
  smallPlantYaml,
  startTestGateway,
  TEST_ADMIN,
  type TestGateway,
} from "../helpers/gateway.js";

const VIEWER: Principal = { user: "watcher", roles: ["viewer"], source: "test" };

describe("config-set: runtime configuration changes", () => {
  let gateway: TestGateway;
  let folder: string;
  let file: string;
  const events: EventRecord[] = [];

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), "bmsgw-config-set-"));
    file = join(folder, "gateway.yaml");
    const yaml = smallPlantYaml({
      strings: 1,
      blocks: 4,
      extra: [
        `storage: { path: ${JSON.stringify(join(folder, "var"))} }`,
        "# kept across edits",
        "alarms:",
        "  raiseDelay: 100ms",
        "  clearDelay: 100ms",
        "  suppress: { afterResistanceMeasurement: { duration: 0 } }",
      ].join("\n"),
    });
    writeFileSync(file, yaml);
    gateway = await startTestGateway(yaml, { configFile: file });
    gateway.bus.on("event", (e) => events.push(e));
    await allDevicesOk(gateway);
  });
  after(async () => {
    await gateway?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it("applies a new block voltage level at once, writes the file back with its comments and audits the change", async () => {
    const row = rowOf(gateway, 1, 2);
    // 13.9 V is inside the 12 V VRLA defaults (high warning 14.1 V) until the level drops to 13.8 V.
    await sim(gateway, "set", "1/2", "voltage", "13.9");
    await gateway.waitFor((s) => Math.abs(s.value("block.voltage", row) - 13.9) < 0.01);
    const result = await gateway.commands.run(TEST_ADMIN, {
      kind: "config-set",
      path: "alarms.thresholds.blockVoltage.highWarning",
      value: 13.8,
    });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual((result as { data: { restartRequired: boolean } }).data.restartRequired, false);
    await gateway.waitFor((s) => s.alarms.some((a) => a.eventId === 101 && a.block === 2), 5000);
    const text = readFileSync(file, "utf8");
    assert.match(text, /# kept across edits/);
    assert.match(text, /highWarning: 13\.8/);
    const audit = events.find((e) => e.name === "config-changed" && e.user === TEST_ADMIN.user);
    assert.ok(audit, "a config-changed audit event");
    assert.equal(audit.user, TEST_ADMIN.user);
    assert.match(audit.text ?? "", /alarms\.thresholds\.blockVoltage\.highWarning from .* to 13\.8/);
    const listed = gateway.services.settings?.list().find((s) => s.name === "blockVoltageHighWarning");
    assert.deepEqual([listed?.value, listed?.configured], [13.8, true]);
    await sim(gateway, "set", "1/2", "voltage", "auto");
  });

  it("rejects a level that breaks the ordering, naming the path, and leaves the file alone", async () => {
    const before = readFileSync(file, "utf8");
    const result = await gateway.commands.run(TEST_ADMIN, {
      kind: "config-set",
      path: "alarms.thresholds.blockVoltage.lowWarning",
      value: 14,
    });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.code, "E_CONFIG_INVALID");
    assert.match(
      !result.ok ? result.error : "",
      /alarms\.thresholds\.blockVoltage\.lowWarning: lowWarning \(14\) must be below/,
    );
    assert.equal(readFileSync(file, "utf8"), before);
  });

  it("rejects a value of the wrong type with the field path", async () => {
    const result = await gateway.commands.run(TEST_ADMIN, {
      kind: "config-set",
      path: "alarms.raiseDelay",
      value: "soon",
    });
    assert.equal(!result.ok && result.code, "E_CONFIG_INVALID");
    assert.match(!result.ok ? result.error : "", /^alarms\.raiseDelay: /);
  });

  it("refuses a viewer and audits the refusal", async () => {
    const result = await gateway.commands.run(VIEWER, { kind: "config-set", path: "alarms.latching", value: true });
    assert.equal(!result.ok && result.code, "E_FORBIDDEN");
    assert.ok(events.some((e) => e.name === "command" && e.user === "watcher" && /refused/.test(e.text ?? "")));
  });

  it("saves a protocol change and says it needs a restart", async () => {
    const result = await gateway.commands.run(TEST_ADMIN, {
      kind: "config-set",
      path: "protocols.modbus.port",
      value: 15020,
    });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal((result as { data: { restartRequired: boolean } }).data.restartRequired, true);
    assert.match(readFileSync(file, "utf8"), /port: 15020/);
  });

  it("removes a key when the value is undefined, going back to the default", async () => {
    const result = await gateway.commands.run(TEST_ADMIN, {
      kind: "config-set",
      path: "alarms.thresholds.blockVoltage.highWarning",
      value: undefined,
    });
    assert.equal(result.ok, true, JSON.stringify(result));
    const listed = gateway.services.settings?.list().find((s) => s.name === "blockVoltageHighWarning");
    assert.deepEqual([listed?.value, listed?.configured], [14.1, false]);
  });

  it("refuses a malformed path", async () => {
    const result = await gateway.commands.run(TEST_ADMIN, { kind: "config-set", path: "alarms..x", value: 1 });
    assert.equal(!result.ok && result.code, "E_CONFIG_PATH");
  });
});

describe("config paths and redaction", () => {
  it("parses dotted paths with array indexes and block keys", () => {
    assert.deepEqual(parseConfigPath("strings[1].bus"), ["strings", 1, "bus"]);
    assert.deepEqual(parseConfigPath("alarms.blocks.1/17.blockVoltage.highAlarm"), [
      "alarms",
      "blocks",
      "1/17",
      "blockVoltage",
      "highAlarm",
    ]);
    assert.equal(parseConfigPath("a b"), undefined);
    assert.equal(parseConfigPath(".alarms"), undefined);
  });

  it("hides passwords, secrets, communities and keys but keeps everything else", () => {
    const shown = redactSecrets({
      auth: { radius: { servers: [{ host: "h", secret: "s3cret" }] } },
      snmp: { communities: [{ name: "public" }], users: [{ name: "u", authKey: "k", privKey: "p" }] },
      alarms: { raiseDelay: 10 },
    });
    assert.deepEqual(shown, {
      auth: { radius: { servers: [{ host: "h", secret: "********" }] } },
      snmp: { communities: [{ name: "********" }], users: [{ name: "u", authKey: "********", privKey: "********" }] },
      alarms: { raiseDelay: 10 },
    });
  });
});
