/**
 * SNMP manager of the whole-plant benchmark (a separate process): Net-SNMP's `snmpbulkwalk` over the whole
 * enterprise subtree every `intervalMs`, as a network-management station polls.
 */
import { execFile } from "node:child_process";
import { z } from "zod";
import { Counter, clientProcess, sleep } from "../common.js";

const { settings, send, onMessage } = clientProcess(
  z.object({ port: z.number(), community: z.string(), intervalMs: z.number(), rootOid: z.string() }),
);

const counter = new Counter();
let running = true;
onMessage((m) => {
  if (m.type === "stop") running = false;
});

function walk(): Promise<void> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      "snmpbulkwalk",
      [
        "-v2c",
        "-c",
        settings.community,
        "-On",
        "-Oq",
        "-Cr50",
        "-t",
        "10",
        "-r",
        "1",
        `udp:127.0.0.1:${settings.port}`,
        settings.rootOid,
      ],
      {
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, SNMPCONFPATH: "/nonexistent", HOME: "/nonexistent", MIBS: "" },
      },
      (error, stdout, stderr) => {
        const varbinds = stdout.split("\n").filter((l) => l.startsWith(".")).length;
        counter.add("varbinds", varbinds);
        // GETBULK requests of 50 repetitions each (the walk's PDU count).
        counter.add("getbulk", Math.ceil(varbinds / 50));
        counter.add("walkMs", Math.round(performance.now() - started));
        if (error || /Timeout|Error/i.test(stderr))
          counter.error(`snmpbulkwalk: ${error?.message ?? ""} ${stderr.trim()}`.trim());
        else counter.ok();
        resolve();
      },
    );
  });
}

const timer = setInterval(() => send(counter.message("snmp")), 1000);
send({ type: "ready" });
while (running) {
  const started = performance.now();
  await walk();
  const rest = settings.intervalMs - (performance.now() - started);
  for (let waited = 0; running && waited < rest; waited += 100) await sleep(Math.min(100, rest - waited));
}
clearInterval(timer);
send(counter.message("snmp"));
process.disconnect?.();
