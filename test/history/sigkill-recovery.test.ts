import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { pino } from "pino";
import { startGateway } from "../../src/app/gateway.js";
import { parseTestConfig, smallPlantYaml } from "../helpers/gateway.js";

describe("crash safety of the event log and history", () => {
  const storage = mkdtempSync(join(tmpdir(), "bmsgw-crash-"));
  let child: ChildProcess | undefined;
  after(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    rmSync(storage, { recursive: true, force: true });
  });

  it("finds both databases intact and every committed event after a SIGKILL during heavy ingest", async () => {
    child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "crash-child.ts"), storage], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const proc = child;
    let committed = 0;
    let historyRows = 0;
    const started = Date.now();
    // Kill once a few thousand events are committed and history has been ingesting for a while.
    await new Promise<void>((resolve, reject) => {
      let buffer = "";
      proc.stdout?.on("data", (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const line of lines) {
          const m = /^committed (\d+) history (\d+)$/.exec(line);
          if (m) {
            committed = Math.max(committed, Number(m[1]));
            historyRows = Math.max(historyRows, Number(m[2]));
          }
        }
        if (committed >= 3000 && historyRows >= 1000 && Date.now() - started > 2500) {
          proc.kill("SIGKILL");
          resolve();
        }
      });
      proc.on("exit", (code, signal) => {
        if (signal !== "SIGKILL") reject(new Error(`child ended by itself (code ${code})`));
      });
    });
    await new Promise((resolve) => proc.once("exit", resolve));

    for (const file of ["events.db", "history.db"]) {
      const db = new Database(join(storage, file));
      assert.equal(db.pragma("integrity_check", { simple: true }), "ok", `${file} is intact`);
      db.close();
    }
    const events = new Database(join(storage, "events.db"), { readonly: true });
    const present = events.prepare("SELECT count(*) AS n FROM events WHERE seq <= ?").get(committed) as { n: number };
    assert.equal(present.n, committed, `all ${committed} committed events are present`);
    events.close();
    const history = new Database(join(storage, "history.db"), { readonly: true });
    const rows = history.prepare("SELECT count(*) AS n FROM raw").get() as { n: number };
    assert.ok(
      historyRows > 0 && rows.n >= historyRows,
      `history holds the ${historyRows} raw rows a reader saw committed before the kill (found ${rows.n})`,
    );
    history.close();

    // The gateway starts again on the same files and continues the sequence.
    const config = parseTestConfig(smallPlantYaml({ strings: 4, blocks: 60 }));
    config.storage.path = storage;
    const gateway = await startGateway({ config, log: pino({ level: "silent" }), controlSocket: false });
    try {
      const log = gateway.services.eventLog;
      assert.ok(log);
      assert.ok(log.lastSeq() >= committed);
      gateway.commands.audit({ name: "config-changed", user: "crash-test", text: "after restart" });
      await log.flush();
      const [latest] = log.query({ limit: 1 });
      assert.equal(latest?.text, "after restart");
      assert.ok((latest?.seq ?? 0) > committed);
      assert.ok(gateway.services.history);
    } finally {
      await gateway.stop();
    }
  });
});
