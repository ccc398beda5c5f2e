// Child process of sigkill-recovery.test.ts: runs a real gateway with heavy history ingest and an event burst, and
// prints `committed <seq>` after each event-log commit, until the parent kills it with SIGKILL.
import { join } from "node:path";
import Database from "better-sqlite3";
import { pino } from "pino";
import { startGateway } from "../../src/app/gateway.js";
import { parseTestConfig, smallPlantYaml } from "../helpers/gateway.js";

const storage = process.argv[2];
if (!storage) throw new Error("usage: crash-child.ts <storage folder>");

const HISTORY = `history:
  interval: 1s
  tick: 100ms
  flushInterval: 50ms
  changeThresholds: { block.voltage: 0, block.temperature: 0, block.resistance: 0, string.current: 0 }
eventLog: { flushInterval: 20ms }`;

const config = parseTestConfig(smallPlantYaml({ strings: 4, blocks: 60, extra: HISTORY }));
config.storage.path = storage;
const gateway = await startGateway({ config, log: pino({ level: "silent" }), controlSocket: false });
const log = gateway.services.eventLog;
if (!log) throw new Error("no event log");
const countRaw = new Database(join(storage, "history.db"), { readonly: true }).prepare("SELECT count(*) AS n FROM raw");
let n = 0;
setInterval(() => {
  for (let i = 0; i < 20; i++)
    gateway.commands.audit({
      name: "config-changed",
      user: "crash-test",
      text: `burst ${n++}`,
      detail: { n: String(n) },
    });
}, 5);
setInterval(() => {
  void log.flush(); // writes synchronously: everything up to lastSeq() is committed when it returns
  // A reader sees only committed transactions: every raw row it counts must still be there after the kill.
  const rows = (countRaw.get() as { n: number }).n;
  process.stdout.write(`committed ${log.lastSeq()} history ${rows}\n`);
}, 25);
