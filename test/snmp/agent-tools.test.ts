import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { allDevicesOk, smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { snmpPort, snmpSection, tool, V3_USER, V3_USER_AES256, v3Args } from "./helpers.js";

const STRINGS = 2;
const BLOCKS = 8;
/** Block-table columns that are served: status + 6 block points x (value, status). */
const BLOCK_COLUMNS = 1 + 6 * 2;

describe("SNMP agent with the Net-SNMP command-line tools", () => {
  let gateway: TestGateway;
  let target: string;

  before(async () => {
    gateway = await startTestGateway(smallPlantYaml({ strings: STRINGS, blocks: BLOCKS, extra: snmpSection() }));
    await allDevicesOk(gateway);
    target = `127.0.0.1:${snmpPort(gateway.listeners())}`;
  });

  after(async () => {
    await gateway?.close();
  });

  it("answers the MIB-2 system group with the site identity and our product OID over v2c", async () => {
    const r = await tool("snmpget", [
      "-v2c",
      "-c",
      "test-public",
      target,
      "sysDescr.0",
      "sysObjectID.0",
      "sysName.0",
      "sysLocation.0",
      "sysContact.0",
      "sysUpTime.0",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /sysDescr\.0 = STRING: bms-gateway .*2 strings, 16 blocks/);
    assert.match(r.stdout, /sysObjectID\.0 = OID: BMS-GATEWAY-MIB::bmsProductGateway/);
    assert.match(r.stdout, /sysName\.0 = STRING: Test plant/);
    assert.match(r.stdout, /sysLocation\.0 = STRING: Lab/);
    assert.match(r.stdout, /sysContact\.0 = STRING: test@example.com/);
    assert.match(r.stdout, /sysUpTime\.0 = Timeticks: \(\d+\)/);
  });

  it("serves block values by (string, block) that match the model over v1", async () => {
    const snapshot = gateway.model.current();
    const row = (gateway.topology.strings[1]?.firstBlockRow ?? 0) + 4; // string 2, block 5
    const volts = snapshot.value("block.voltage", row);
    const r = await tool("snmpget", [
      "-v1",
      "-c",
      "test-public",
      "-Oqv",
      "-Oe",
      target,
      "BMS-GATEWAY-MIB::bmsBlockVoltage.2.5",
      "BMS-GATEWAY-MIB::bmsBlockVoltageStatus.2.5",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [value, status] = r.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(" ")[0]);
    assert.ok(Math.abs(Number(value) - volts) < 0.05, `served ${value} V, model ${volts} V`);
    assert.equal(status, "1", "status good(1)");
  });

  it("walks the block table with two index levels over v2c getnext", async () => {
    const r = await tool("snmpwalk", ["-v2c", "-c", "test-public", "-On", target, "BMS-GATEWAY-MIB::bmsBlockTable"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, STRINGS * BLOCKS * BLOCK_COLUMNS);
    assert.ok(
      lines.every((l) => /^\.1\.3\.6\.1\.4\.1\.32473\.1\.4\.1\.\d+\.[12]\.[1-8] = /.test(l)),
      lines[0],
    );
  });

  it("bulk-walks our whole subtree identically over v2c, v3 SHA-256/AES-128 and v3 SHA-1/AES-256", async () => {
    const walks = await Promise.all([
      tool("snmpbulkwalk", [
        "-Cr50",
        "-v2c",
        "-c",
        "test-public",
        "-On",
        "-Oe",
        target,
        "BMS-GATEWAY-MIB::bmsIdentity",
      ]),
      tool("snmpbulkwalk", ["-Cr50", ...v3Args(V3_USER), "-On", "-Oe", target, "BMS-GATEWAY-MIB::bmsIdentity"]),
      tool("snmpbulkwalk", ["-Cr50", ...v3Args(V3_USER_AES256), "-On", "-Oe", target, "BMS-GATEWAY-MIB::bmsIdentity"]),
    ]);
    for (const w of walks) assert.equal(w.code, 0, w.stderr);
    const oids = walks.map((w) =>
      w.stdout
        .split("\n")
        .map((l) => l.split(" = ")[0])
        .join("\n"),
    );
    assert.equal(oids[1], oids[0]);
    assert.equal(oids[2], oids[0]);
    assert.match(walks[1]?.stdout ?? "", /\.1\.3\.6\.1\.4\.1\.32473\.1\.1\.3\.0 = STRING: "?Test plant/);
    const full = await tool("snmpbulkwalk", ["-Cr50", ...v3Args(V3_USER), "-On", target, ".1.3.6.1.4.1.32473"]);
    assert.equal(full.code, 0, full.stderr);
    assert.ok(full.stdout.split("\n").length > STRINGS * BLOCKS * BLOCK_COLUMNS, "the whole enterprise subtree walks");
  });

  it("answers a v3 request with a wrong key with a wrongDigests report, not silence", async () => {
    const r = await tool("snmpget", [
      ...v3Args({ ...V3_USER, authPassword: "not-the-password" }),
      "-t",
      "2",
      "-r",
      "0",
      target,
      "sysName.0",
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Authentication failure/);
    const stats = await tool("snmpget", ["-v2c", "-c", "test-public", "-Oqv", target, ".1.3.6.1.6.3.15.1.1.5.0"]);
    assert.ok(Number(stats.stdout.trim()) >= 1, `usmStatsWrongDigests ${stats.stdout}`);
  });

  it("reports an unknown v3 user", async () => {
    const r = await tool("snmpget", [
      ...v3Args({ ...V3_USER, name: "nobody-here" }),
      "-t",
      "2",
      "-r",
      "0",
      target,
      "sysName.0",
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Unknown user name/);
  });

  it("ignores unknown communities, versions a community is not allowed, and disallowed sources", async () => {
    for (const args of [
      ["-v2c", "-c", "wrong-community"],
      ["-v2c", "-c", "only-v1"],
      ["-v2c", "-c", "far-away"],
    ]) {
      const r = await tool("snmpget", [...args, "-t", "0.3", "-r", "0", target, "sysName.0"]);
      assert.notEqual(r.code, 0, `${args.join(" ")} must get no answer`);
      assert.match(r.stderr, /Timeout/);
    }
    const v1 = await tool("snmpget", ["-v1", "-c", "only-v1", target, "sysName.0"]);
    assert.equal(v1.code, 0, v1.stderr);
  });

  it("refuses writes from communities and from non-admin v3 users", async () => {
    const community = await tool("snmpset", ["-v2c", "-c", "test-public", target, "sysName.0", "s", "x"]);
    assert.notEqual(community.code, 0);
    assert.match(community.stderr + community.stdout, /noAccess/);
    const reader = await tool("snmpset", [...v3Args(V3_USER_AES256), target, "sysName.0", "s", "x"]);
    assert.match(reader.stderr + reader.stdout, /noAccess/);
    const admin = await tool("snmpset", [...v3Args(V3_USER), target, "sysName.0", "s", "x"]);
    assert.match(admin.stderr + admin.stdout, /notWritable/);
  });

  it("answers noSuchInstance, noSuchObject and endOfMibView as SNMPv2 exceptions", async () => {
    const r = await tool("snmpget", [
      "-v2c",
      "-c",
      "test-public",
      target,
      "BMS-GATEWAY-MIB::bmsBlockVoltage.9.1",
      ".1.3.6.1.4.1.32473.99.0",
    ]);
    assert.match(r.stdout, /No Such Instance/);
    assert.match(r.stdout, /No Such Object/);
    const end = await tool("snmpgetnext", ["-v2c", "-c", "test-public", target, ".1.3.6.1.6.3.99"]);
    assert.match(end.stdout, /No more variables left in this MIB View/);
  });
});
