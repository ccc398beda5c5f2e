import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import snmp, { type MibDefinition } from "net-snmp";
import { NOTIFICATION_OBJECTS, NOTIFICATIONS, NOTIFICATIONS_ROOT } from "../../src/protocols/snmp/mapping.js";
import { notificationVarbinds } from "../../src/protocols/snmp/notifier.js";
import { allDevicesOk, smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { REPO, snmpPort, snmpSection, tool } from "./helpers.js";

const MIB_FILE = `${REPO}/mibs/BMS-GATEWAY-MIB.txt`;
const BASE_MIBS = `${REPO}/node_modules/net-snmp/lib/mibs`;

function run(command: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; output: string }>((done) => {
    execFile(command, args, { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      done({ code: error ? 1 : 0, output: stdout + stderr }),
    );
  });
}

function loadModule(): Record<string, MibDefinition> {
  const store = snmp.createModuleStore();
  store.loadFromFile(MIB_FILE);
  return store.getModule("BMS-GATEWAY-MIB");
}

/** Which wire types each MIB syntax may be served as. */
const WIRE_TYPES: Record<string, string> = {
  Unsigned32: "Gauge32",
  Counter32: "Counter32",
  DisplayString: "STRING",
  Integer32: "INTEGER",
  BmsMilli: "INTEGER",
  BmsDeci: "INTEGER",
  BmsQuality: "INTEGER",
  BmsSeverity: "INTEGER",
  TruthValue: "INTEGER",
};

function wireTypeOf(definition: MibDefinition): string {
  const syntax = definition.SYNTAX;
  if (typeof syntax === "string") return WIRE_TYPES[syntax] ?? `unknown ${syntax}`;
  return "INTEGER"; // inline enumerations
}

describe("BMS-GATEWAY-MIB", () => {
  let gateway: TestGateway;
  let target: string;

  before(async () => {
    gateway = await startTestGateway(
      smallPlantYaml({ extra: [snmpSection(), "alarms: { raiseDelay: 0, clearDelay: 0 }"].join("\n") }),
    );
    await allDevicesOk(gateway);
    target = `127.0.0.1:${snmpPort(gateway.listeners())}`;
    // An active alarm, so the alarm table has rows to compare.
    await gateway.commands.run(
      { user: "test", roles: ["admin"], source: "test" },
      { kind: "sim", args: ["set", "1/3", "voltage", "16"] },
    );
    await gateway.waitFor((s) => s.alarms.length > 0);
  });

  after(async () => {
    await gateway?.close();
  });

  it("passes smilint at level 6 without a single message", async () => {
    const r = await run("smilint", ["-l", "6", MIB_FILE], { SMIPATH: BASE_MIBS });
    assert.equal(r.output, "", r.output);
  });

  it("gets output from smilint for a module it cannot load, so the silence check can fail", async () => {
    const r = await run("smilint", ["-l", "6", "-s", `${REPO}/test/snmp/missing-module.txt`], { SMIPATH: BASE_MIBS });
    assert.notEqual(r.output, "");
  });

  it("loads in snmptranslate without warnings and resolves table columns and notifications", async () => {
    const r = await tool("snmptranslate", [
      "-On",
      "BMS-GATEWAY-MIB::bmsBlockVoltage",
      "BMS-GATEWAY-MIB::bmsAlarmCleared",
      "BMS-GATEWAY-MIB::bmsProductGateway",
    ]);
    assert.equal(r.stderr, "");
    assert.deepEqual(r.stdout.split("\n").filter(Boolean), [
      ".1.3.6.1.4.1.32473.1.4.1.11",
      ".1.3.6.1.4.1.32473.0.2",
      ".1.3.6.1.4.1.32473.3.1",
    ]);
    const index = await tool("snmptranslate", ["-Td", "BMS-GATEWAY-MIB::bmsBlockEntry"]);
    assert.match(index.stdout, /INDEX\s+\{ bmsBlockStringId, bmsBlockNumber \}/);
  });

  it("declares in net-snmp's loadFromFile exactly the objects and types the agent serves", async () => {
    const module = loadModule();
    const byOid = new Map<string, MibDefinition>();
    for (const d of Object.values(module)) if (d.OID) byOid.set(d.OID, d);
    const walk = await tool("snmpbulkwalk", [
      "-Cr50",
      "-v2c",
      "-c",
      "test-public",
      "-On",
      target,
      ".1.3.6.1.4.1.32473",
    ]);
    assert.equal(walk.code, 0, walk.stderr);
    const served = new Map<string, string>();
    for (const line of walk.stdout.trim().split("\n")) {
      const m = /^\.(\S+) = (\w+):/.exec(line);
      assert.ok(m, line);
      const oid = m[1] as string;
      // The object is the longest prefix the module defines.
      const parts = oid.split(".");
      let object: MibDefinition | undefined;
      while (parts.length > 7 && !object) {
        parts.pop();
        object = byOid.get(parts.join("."));
      }
      assert.ok(object?.ObjectName, `served ${oid} is declared in the MIB`);
      assert.equal(object.MACRO, "OBJECT-TYPE");
      assert.match(object["MAX-ACCESS"] ?? "", /^read-(only|write)$/, `${object.ObjectName} is readable`);
      assert.equal(m[2], wireTypeOf(object), `${object.ObjectName} served as ${m[2]}`);
      served.set(object.ObjectName as string, m[2] as string);
    }
    // Every readable object with rows today is served: all but the empty threshold table.
    const readable = Object.values(module).filter(
      (d) =>
        d.MACRO === "OBJECT-TYPE" &&
        /^read-/.test(d["MAX-ACCESS"] ?? "") &&
        !String(d.ObjectName).startsWith("bmsThreshold"),
    );
    const missing = readable.map((d) => d.ObjectName as string).filter((name) => !served.has(name));
    assert.deepEqual(missing, []);
    assert.ok(served.has("bmsAlarmText"), "alarm table rows are served");
  });

  it("declares the notifications with the varbinds the notifier sends, in order", () => {
    const module = loadModule();
    for (const n of NOTIFICATIONS) {
      const d = module[n.name];
      assert.equal(d?.MACRO, "NOTIFICATION-TYPE");
      assert.equal(d?.OID, [...NOTIFICATIONS_ROOT, n.sub].join("."));
      assert.deepEqual(
        d?.OBJECTS,
        NOTIFICATION_OBJECTS.objects.map((o) => o.name),
      );
    }
    const sent = notificationVarbinds({
      seq: 0,
      time: 0,
      kind: "alarm-raised",
      eventId: 101,
      name: "block-voltage-high",
      severity: "warning",
      text: "",
    });
    const declared = NOTIFICATION_OBJECTS.objects.map((o) => `${module[o.name]?.OID}.0`);
    assert.deepEqual(
      sent.map((v) => v.oid),
      declared,
    );
  });
});
