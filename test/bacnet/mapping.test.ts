import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ObjectType, PropertyIdentifier } from "@bacnet-js/client/dist/lib/enum.js";
import { ModelStore } from "../../src/core/model.js";
import { buildTopology } from "../../src/core/topology.js";
import { bacnetConfigSchema } from "../../src/protocols/bacnet/config-schema.js";
import { DeviceModel } from "../../src/protocols/bacnet/device-model.js";
import { renderEde } from "../../src/protocols/bacnet/ede.js";
import { checkInstanceRanges, objectKey } from "../../src/protocols/bacnet/mapping.js";
import { parseTestConfig, smallPlantYaml } from "../helpers/gateway.js";

const identity = { vendorName: "v", modelName: "m", firmwareRevision: "1", applicationSoftwareVersion: "1" };

function plant(strings: number, blocks: number, ids?: number[]) {
  const config = parseTestConfig(smallPlantYaml({ strings, blocks }));
  if (ids) for (const [i, s] of config.strings.entries()) s.id = ids[i] ?? s.id;
  return buildTopology(config);
}

describe("BACnet object numbering", () => {
  it("derives instances from string, block and point numbers, not from declaration order", () => {
    const model = new DeviceModel(plant(2, 8, [3, 7]), bacnetConfigSchema.parse({}), identity);
    assert.equal(model.findByName("S7.B5.resistance")?.instance, 7 * 10_000 + 5 * 10 + 3);
    assert.equal(model.findByName("S3.current")?.instance, 3 * 100 + 2);
    assert.equal(model.findByName("ambientTemperature")?.instance, 1);
    assert.equal(model.findByName("S7.alarm.thermal-runaway")?.instance, 1_000_000 + 7 * 1000 + 113);
    assert.equal(model.findByName("S3.B8.alarm")?.instance, 2_000_000 + 3 * 10_000 + 80);
  });

  it("fits 10,000 blocks with unique object identifiers", () => {
    const topology = plant(84, 120);
    assert.equal(topology.blockCount, 10_080);
    assert.deepEqual(checkInstanceRanges(topology, true), []);
    const model = new DeviceModel(topology, bacnetConfigSchema.parse({}), identity);
    const objects = [...model.objects()];
    const keys = new Set(objects.map((o) => objectKey(o.type, o.instance)));
    assert.equal(keys.size, objects.length);
    assert.equal(model.objectCount, objects.length);
    assert.ok(objects.every((o) => o.instance >= 0 && o.instance <= 4_194_302));
  });

  it("finds every object by identifier, by name and by Object_List position, block objects included", () => {
    const model = new DeviceModel(plant(3, 5, [2, 5, 9]), bacnetConfigSchema.parse({}), identity);
    const snapshot = new ModelStore(plant(3, 5, [2, 5, 9])).snapshot();
    const objects = [...model.objects()];
    for (const [position, o] of objects.entries()) {
      assert.equal(model.find(o.type, o.instance)?.name, o.name);
      assert.equal(model.findByName(o.name)?.instance, o.instance, o.name);
      const listed = model.read(model.device, PropertyIdentifier.OBJECT_LIST, position + 1, snapshot);
      assert.deepEqual(listed.ok && listed.values[0]?.value, { type: o.type, instance: o.instance });
    }
    assert.equal(model.find(ObjectType.ANALOG_INPUT, 5 * 10_000 + 6 * 10 + 1), undefined, "block 6 of 5");
    assert.equal(model.find(ObjectType.BINARY_INPUT, 5 * 10_000 + 1 * 10 + 1), undefined, "voltage is not binary");
    assert.equal(model.find(ObjectType.ANALOG_INPUT, 3 * 10_000 + 1 * 10 + 1), undefined, "no string 3");
    assert.equal(model.findByName("S05.B1.voltage"), undefined);
    assert.equal(model.findByName("S5.B1.alarm")?.instance, 2_000_000 + 5 * 10_000 + 10);
    const view = model.find(ObjectType.STRUCTURED_VIEW, 5);
    const members = view && model.read(view, PropertyIdentifier.SUBORDINATE_LIST, 0xffffffff, snapshot);
    assert.deepEqual(
      members?.ok && members.values.map((v) => v.value),
      objects
        .filter((o) => o.owner?.id === 5 && o.type !== ObjectType.STRUCTURED_VIEW)
        .map((o) => ({ type: o.type, instance: o.instance })),
    );
  });

  it("refuses a plant that does not fit, naming the string and the fix", () => {
    assert.match(checkInstanceRanges(plant(1, 4, [120]), true).join(), /string 120/);
  });

  it("leaves per-block objects out when blockObjects is off", () => {
    const on = new DeviceModel(plant(1, 8), bacnetConfigSchema.parse({}), identity);
    const off = new DeviceModel(plant(1, 8), bacnetConfigSchema.parse({ blockObjects: false }), identity);
    assert.equal(on.objectCount - off.objectCount, 8 * 7);
    assert.equal(off.findByName("S1.B1.voltage"), undefined);
  });

  it("lists every object of the device in the EDE file with its type and instance", () => {
    const topology = plant(1, 4);
    const config = bacnetConfigSchema.parse({ deviceInstance: 99 });
    const model = new DeviceModel(topology, config, identity);
    const rows = renderEde(topology, config, "objects", "banner", "1")
      .split("\n")
      .filter((l) => l && !l.startsWith("#") && /^99_/.test(l));
    assert.equal(rows.length, model.objectCount);
    const row = rows.find((r) => r.split(";")[2] === "S1.B2.voltage")?.split(";");
    assert.deepEqual([row?.[3], row?.[4], row?.[14]], ["0", "10021", "5"]);
  });
});
