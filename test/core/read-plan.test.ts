import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coalesce, minimumReads, placeFields } from "../../src/core/poller/read-plan.js";
import { profileById } from "../../src/core/profiles/index.js";

const profile = (id: string) => profileById(id) ?? assert.fail(`no profile ${id}`);

describe("read planning", () => {
  it("reads a cell probe's status and measurements in one transaction", () => {
    const plan = coalesce(placeFields(profile("cell-probe"), 1));
    assert.deepEqual(plan, [{ start: 16, count: 7 }]);
  });

  it("reads a full string master in the minimum number of reads of at most 125 registers", () => {
    const fields = placeFields(profile("string-master"), 120);
    const plan = coalesce(fields);
    assert.equal(plan.length, minimumReads(fields));
    assert.ok(plan.every((r) => r.count <= 125));
  });

  it("never splits a 32-bit value across two reads", () => {
    for (const blocks of [1, 19, 20, 21, 40, 77, 120]) {
      const fields = placeFields(profile("string-master"), blocks);
      const plan = coalesce(fields);
      for (const f of fields) {
        if (!f.field.type.endsWith("32")) continue;
        const inOne = plan.some((r) => f.address >= r.start && f.address + 1 < r.start + r.count);
        assert.ok(inOne, `${f.field.name} of block ${f.block} at ${f.address} is split (blocks=${blocks})`);
      }
    }
  });

  it("reads a 40-block master in three reads, since its 252-register span cannot fit in two", () => {
    const plan = coalesce(placeFields(profile("string-master"), 40));
    assert.equal(plan.length, 3);
    assert.equal(
      plan.reduce((n, r) => n + r.count, 0),
      248,
      "the 4-register gap is not read",
    );
  });

  it("reads through a small gap when that saves a read", () => {
    const plan = coalesce(placeFields(profile("string-master"), 120));
    assert.equal(plan.length, 6);
    assert.equal(plan[0]?.start, 4);
  });
});
