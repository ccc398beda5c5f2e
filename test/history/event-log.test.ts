import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SqliteEventLog } from "../../src/core/event-log/sqlite-event-log.js";
import type { EventRecord } from "../../src/core/events.js";

const T0 = Date.UTC(2025, 5, 1);
const DAY = 86_400_000;

function record(i: number, extra: Partial<EventRecord> = {}): EventRecord {
  return {
    seq: 0,
    time: T0 + i * 60_000,
    kind: i % 3 === 0 ? "alarm-raised" : i % 3 === 1 ? "alarm-cleared" : "audit",
    eventId: i % 3 === 2 ? 404 : 101 + (i % 2),
    name: i % 3 === 2 ? "alarm-acknowledged" : "block-voltage-high",
    severity: i % 4 === 0 ? "critical" : i % 4 === 1 ? "warning" : "info",
    stringId: 1 + (i % 2),
    block: 1 + (i % 5),
    value: 14 + i / 100,
    threshold: 14.1,
    ...(i % 3 === 2 ? { user: "alice" } : {}),
    detail: { note: `line ${i}` },
    text: `event ${i}, "quoted"`,
    ...extra,
  };
}

describe("event log on SQLite", () => {
  let dir: string;
  let log: SqliteEventLog;
  const all: EventRecord[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "bmsgw-events-"));
    log = new SqliteEventLog(join(dir, "events.db"), { flushInterval: 10, maxAge: 30 * DAY, maxSizeMB: 1000 });
    for (let i = 0; i < 200; i++) all.push(log.append(record(i)));
    log.write();
  });
  after(() => {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("numbers events 1, 2, 3 … in the order they arrive", () => {
    assert.deepEqual(
      all.map((r) => r.seq),
      all.map((_, i) => i + 1),
    );
    assert.equal(log.lastSeq(), 200);
  });

  it("answers queries by time range, severity, string, block, event id, kind and user", () => {
    const expect = (filter: (r: EventRecord) => boolean) =>
      all
        .filter(filter)
        .map((r) => r.seq)
        .reverse();
    const seqs = (q: Parameters<SqliteEventLog["query"]>[0]) => log.query(q).map((r) => r.seq);
    assert.deepEqual(
      seqs({ from: T0 + 10 * 60_000, to: T0 + 20 * 60_000 }),
      expect((r) => r.time >= T0 + 600_000 && r.time < T0 + 1_200_000),
    );
    assert.deepEqual(
      seqs({ severity: "critical" }),
      expect((r) => r.severity === "critical"),
    );
    assert.deepEqual(
      seqs({ minSeverity: "warning" }),
      expect((r) => r.severity !== "info"),
    );
    assert.deepEqual(
      seqs({ stringId: 2, block: 3 }),
      expect((r) => r.stringId === 2 && r.block === 3),
    );
    assert.deepEqual(
      seqs({ eventId: [101, 404] }),
      expect((r) => r.eventId === 101 || r.eventId === 404),
    );
    assert.deepEqual(
      seqs({ kind: "audit", user: "alice" }),
      expect((r) => r.kind === "audit"),
    );
    assert.equal(log.count({ kind: ["alarm-raised", "alarm-cleared"] }), all.filter((r) => r.kind !== "audit").length);
    const [first] = log.query({ order: "asc", limit: 1 });
    assert.deepEqual(first, all[0]);
  });

  it("exports CSV with quoting and ISO times", () => {
    const csv = log.exportCsv({ stringId: 1, block: 1 });
    const lines = csv.trimEnd().split("\r\n");
    assert.equal(lines[0], "seq,time,kind,event_id,name,severity,string,block,value,threshold,user,text,detail");
    const rows = all.filter((r) => r.stringId === 1 && r.block === 1);
    assert.equal(lines.length, rows.length + 1);
    const r = rows[0] as EventRecord;
    assert.equal(
      lines[1],
      `${r.seq},${new Date(r.time).toISOString()},${r.kind},${r.eventId},${r.name},${r.severity},1,1,${r.value},14.1,${r.user ?? ""},"${r.text.replace(/"/g, '""')}","{""note"":""${r.detail?.note}""}"`,
    );
  });

  it("deletes events past the age limit and the oldest ones beyond the size limit", () => {
    const aged = new SqliteEventLog(join(dir, "aged.db"), { flushInterval: 10, maxAge: DAY, maxSizeMB: 0.5 });
    try {
      for (let i = 0; i < 10; i++) aged.append(record(i, { time: T0 - 3 * DAY + i }));
      for (let i = 0; i < 6000; i++) aged.append(record(i, { text: `recent ${i} ${"x".repeat(200)}` }));
      aged.write();
      const { deleted } = aged.prune(T0 + DAY / 2);
      assert.ok(deleted >= 10);
      assert.equal(aged.count({ to: T0 - DAY }), 0, "nothing older than a day");
      assert.ok(aged.usedBytes() <= 0.5 * 1024 * 1024, `within the size limit (${aged.usedBytes()} bytes)`);
      const [newest] = aged.query({ limit: 1 });
      assert.equal(newest?.seq, 6010, "the newest event is kept");
    } finally {
      aged.close();
    }
  });
});
