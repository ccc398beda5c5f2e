import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EventBus } from "../../src/core/event-bus.js";
import { ModelStore, Q_COMM_LOST, Q_GOOD, stringAggregates } from "../../src/core/model.js";
import { validateCatalogue } from "../../src/core/points.js";
import { PROFILES } from "../../src/core/profiles/index.js";
import { buildTopology } from "../../src/core/topology.js";
import { parseTestConfig, smallPlantYaml } from "../helpers/gateway.js";

function store() {
  const s = new ModelStore(buildTopology(parseTestConfig(smallPlantYaml({ strings: 2, blocks: 4 }))));
  s.addDeriver(stringAggregates);
  return s;
}

describe("model store", () => {
  it("freezes each commit into a snapshot that later writes do not change", () => {
    const m = store();
    m.write("block.voltage", 1, 13.5, Q_GOOD, 1000);
    const first = m.commit();
    assert.ok(first);
    m.write("block.voltage", 1, 12.0, Q_GOOD, 2000);
    assert.equal(first.snapshot.value("block.voltage", 1), 13.5);
    const second = m.commit();
    assert.equal(second?.snapshot.value("block.voltage", 1), 12.0);
    assert.equal(second?.snapshot.version, first.snapshot.version + 1);
  });

  it("lists each changed value once per commit with its previous value and quality", () => {
    const m = store();
    m.write("block.voltage", 2, 13.1, Q_GOOD, 1);
    m.commit();
    m.write("block.voltage", 2, 13.2, Q_GOOD, 2);
    m.write("block.voltage", 3, Number.NaN, Q_COMM_LOST, 2);
    const { delta } = m.commit() ?? assert.fail("no commit");
    const changes = delta.changes.filter((c) => c.point === "block.voltage");
    assert.deepEqual(
      changes.map((c) => [c.row, c.value, c.previousValue, c.quality]),
      [
        [2, 13.2, 13.1, "good"],
        [3, Number.NaN, Number.NaN, "comm-lost"],
      ],
    );
  });

  it("shares unchanged columns between snapshots and copies written ones", () => {
    const m = store();
    m.write("block.voltage", 0, 13.4, Q_GOOD, 1);
    const a = m.commit()?.snapshot;
    m.write("block.temperature", 0, 25, Q_GOOD, 2);
    const b = m.commit()?.snapshot;
    assert.ok(a && b);
    assert.equal(a.column("block.soc"), b.column("block.soc"));
    assert.notEqual(a.column("block.temperature"), b.column("block.temperature"));
  });

  it("keeps every row of older snapshots when later commits write rows across many pages", () => {
    const m = new ModelStore(buildTopology(parseTestConfig(smallPlantYaml({ strings: 3, blocks: 120 }))));
    const rows = m.topology.blockCount;
    for (let row = 0; row < rows; row++) m.write("block.voltage", row, 2 + row / 10_000, Q_GOOD, 1);
    const first = m.commit()?.snapshot ?? assert.fail("no commit");
    m.write("block.voltage", 255, 9, Q_GOOD, 2);
    m.write("block.voltage", 256, 9, Q_GOOD, 2);
    m.write("block.voltage", rows - 1, 9, Q_COMM_LOST, 2);
    const second = m.commit()?.snapshot ?? assert.fail("no commit");
    for (let row = 0; row < rows; row++) assert.equal(first.value("block.voltage", row), 2 + row / 10_000);
    for (let row = 0; row < rows; row++) {
      const written = row === 255 || row === 256 || row === rows - 1;
      assert.equal(second.value("block.voltage", row), written ? 9 : 2 + row / 10_000, `row ${row}`);
    }
    assert.equal(second.sample("block.voltage", rows - 1).quality, "comm-lost");
    assert.equal(second.column("block.voltage").time(0), 1);
    assert.ok(Number.isNaN(second.value("block.voltage", rows)), "past the last row reads NaN");
    assert.throws(() => second.sample("block.voltage", rows), RangeError);
  });

  it("derives string minimum, maximum and mean from good block voltages only", () => {
    const m = store();
    [13.4, 13.6, 13.5].forEach((v, i) => {
      m.write("block.voltage", i, v, Q_GOOD, 1);
    });
    m.write("block.voltage", 3, 1.0, Q_COMM_LOST, 1);
    const s = m.commit()?.snapshot;
    assert.equal(s?.value("string.blockVoltageMin", 0), 13.4);
    assert.equal(s?.value("string.blockVoltageMax", 0), 13.6);
    assert.ok(Math.abs((s?.value("string.blockVoltageMean", 0) ?? 0) - 13.5) < 1e-12);
  });

  it("returns no commit when nothing was written", () => {
    const m = store();
    assert.equal(m.commit(), undefined);
  });
});

describe("event bus", () => {
  it("delivers to every listener even when one throws, and reports the error", () => {
    const errors: unknown[] = [];
    const bus = new EventBus((_e, err) => errors.push(err));
    const got: string[] = [];
    bus.on("event", () => {
      throw new Error("boom");
    });
    const dispose = bus.on("event", (r) => got.push(r.name));
    const record = { seq: 0, time: 0, kind: "event", eventId: 310, name: "x", severity: "info", text: "" } as const;
    bus.emit("event", record);
    dispose();
    bus.emit("event", record);
    assert.deepEqual(got, ["x"]);
    assert.equal(errors.length, 2);
  });
});

describe("catalogues and profiles", () => {
  it("has unique ids and numbers, scoped ids and sane ranges", () => {
    assert.deepEqual(validateCatalogue(), []);
  });

  it("maps every profile field to an existing catalogue point and distinct registers", () => {
    for (const p of PROFILES) {
      const used = new Set<number>();
      for (const f of [...p.fields, ...(p.blockRecord?.fields ?? [])]) {
        const width = f.type.endsWith("32") ? 2 : 1;
        const base = p.blockRecord?.fields.includes(f) ? 100_000 : 0;
        for (let k = 0; k < width; k++) {
          assert.ok(!used.has(base + f.address + k), `${p.id}.${f.name} overlaps another field`);
          used.add(base + f.address + k);
        }
      }
    }
  });
});
