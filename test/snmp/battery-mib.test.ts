import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { allDevicesOk, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { snmpPort, snmpSection, tool, V3_USER, v3Args } from "./helpers.js";

/** RFC 7577: batteryEntry = mib-2.233.1.1.1; column n of the row for entPhysicalIndex i = entry.n.i. */
const ENTRY = "1.3.6.1.2.1.233.1.1.1";
const UNKNOWN_UNSIGNED = 0xffffffff;

/** Parses `snmpbulkwalk -On -Oe -Oq -Ot` output: ".oid value" per line, values as printed. */
function parse(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.trim().split("\n")) {
    const space = line.indexOf(" ");
    out.set(line.slice(1, space), line.slice(space + 1).replace(/^"|"$/g, ""));
  }
  return out;
}

describe("SNMP BATTERY-MIB (RFC 7577) batteryTable, one row per string", () => {
  let gateway: TestGateway;
  let target: string;

  before(async () => {
    const strings = [
      "  - { id: 3, name: North, bus: bus1, blocks: 6, chemistry: vrla, nominalBlockVoltage: 12, capacityAh: 200, probes: { profile: cell-probe, address: 1 }, stringSensor: { address: 201 } }",
      "  - { id: 7, name: South, bus: bus2, blocks: 4, chemistry: lifepo4, nominalBlockVoltage: 12.8, capacityAh: 100, probes: { profile: cell-probe, address: 1 }, stringSensor: { address: 201 } }",
    ];
    const yaml = [
      "site: { name: Test plant, location: Lab, contact: test@example.com }",
      "buses:",
      "  - { id: bus1, transport: { type: simulated, baudRate: 115200 }, timing: { timeout: 100ms, retries: 1, pollInterval: 100ms, commLossAfter: 2 } }",
      "  - { id: bus2, transport: { type: simulated, baudRate: 115200 }, timing: { timeout: 100ms, retries: 1, pollInterval: 100ms, commLossAfter: 2 } }",
      "strings:",
      ...strings,
      "simulator: { enabled: true, seed: 7 }",
      snmpSection(),
    ].join("\n");
    gateway = await startTestGateway(yaml);
    await allDevicesOk(gateway);
    target = `127.0.0.1:${snmpPort(gateway.listeners())}`;
  });
  after(() => gateway?.close());

  it("serves the description and status columns from the model over v2c and v3, with string ids as the index", async () => {
    await gateway.poller.stop(); // freeze the model
    const snap = gateway.model.current();
    const args = ["-On", "-Oe", "-Oq", "-Ot", "-Cr50", target, "1.3.6.1.2.1.233"];
    const v2 = await tool("snmpbulkwalk", ["-v2c", "-c", "test-public", ...args]);
    assert.equal(v2.code, 0, v2.stderr);
    const v3 = await tool("snmpbulkwalk", [...v3Args(V3_USER), ...args]);
    assert.equal(v3.stdout, v2.stdout, "v3 authPriv serves the same table");
    const values = parse(v2.stdout);
    const served = new Set([...values.keys()].map((oid) => Number(oid.split(".")[10])));
    assert.deepEqual(
      [...served].sort((a, b) => a - b),
      [1, 3, 4, 5, 6, 7, 10, 13, 14, 15, 16, 17, 18],
    );

    const expected = (id: number, chemistry: number, cells: number) => {
      const s = gateway.topology.strings.find((x) => x.id === id);
      assert.ok(s);
      const get = (
        point: "string.soh" | "string.soc" | "string.voltage" | "string.current" | "string.temperatureMax",
      ) => {
        const x = snap.sample(point, s.index);
        return x.quality === "good" ? x.value : Number.NaN;
      };
      const actual = (s.capacityAh * get("string.soh")) / 100;
      const state = ["unknown", "float", "charge", "discharge", "rest"][snap.value("string.chargeState", s.index)];
      const oper = { unknown: 1, charge: 2, float: 3, rest: 4, discharge: 5 }[state ?? "unknown"];
      const u = (v: number) => (Number.isFinite(v) ? Math.round(v) : UNKNOWN_UNSIGNED);
      return {
        1: s.name,
        3: "4", // rechargeable
        4: String(chemistry),
        5: String(Math.round(s.nominalBlockVoltage * s.blockCount * 1000)),
        6: String(cells),
        7: String(s.capacityAh * 1000),
        10: String(u(actual * 1000)),
        13: String(oper),
        14: "1", // notSet
        15: String(u(((actual * get("string.soc")) / 100) * 1000)),
        16: String(u(get("string.voltage") * 1000)),
        17: String(Math.round(get("string.current") * 1000)),
        18: String(Math.round(get("string.temperatureMax") * 10)),
      } as Record<number, string>;
    };
    for (const [id, chemistry, cells] of [
      [3, 14, 36], // VRLA AGM, 6 blocks of 6 cells
      [7, 18, 16], // LiFePO4 as lithiumIon, 4 blocks of 4 cells
    ] as const) {
      const want = expected(id, chemistry, cells);
      for (const [column, value] of Object.entries(want))
        assert.equal(values.get(`${ENTRY}.${column}.${id}`), value, `column ${column} of string ${id}`);
    }
    assert.equal(values.size, 13 * 2, "13 columns x 2 strings");
  });

  it("answers a column it does not implement with noSuchObject and refuses a SET of the admin state", async () => {
    const get = await tool("snmpget", ["-v2c", "-c", "test-public", "-On", target, `${ENTRY}.2.3`]);
    assert.match(get.stdout, /No Such Object/);
    const set = await tool("snmpset", [...v3Args(V3_USER), target, `${ENTRY}.14.3`, "i", "3"]);
    assert.match(set.stderr + set.stdout, /notWritable/);
  });
});
