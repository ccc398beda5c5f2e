/**
 * REST API latency on the 10,000-block plant (84 strings × 120 blocks): the overview, a string's block page, every
 * string's blocks (what a full table walk costs), and /metrics (60,000 samples). Real HTTPS on loopback, one client.
 * Run: npx tsx bench/http-api.ts
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startTestGateway, TEST_ADMIN } from "../test/helpers/gateway.js";
import { largePlantYaml } from "../test/helpers/large-plant.js";
import { HttpsTarget, login } from "../test/http/api-helpers.js";

const gateway = await startTestGateway(
  `${largePlantYaml({ blocks: 10_000 })}protocols: { http: { enabled: true, host: 127.0.0.1, port: 0 } }\n`,
);
try {
  await gateway.waitFor((s) => s.devices.every((d) => d.comm === "ok"), 120_000);
  await gateway.auth.users?.add(TEST_ADMIN, "bench", "bench-password-1", ["viewer"], { mustChangePassword: false });
  const address = gateway.listeners().find((l) => l.startsWith("https://")) ?? "";
  const target = new HttpsTarget(
    Number(address.slice(address.lastIndexOf(":") + 1)),
    readFileSync(join(gateway.storagePath, "http", "self-signed.crt"), "utf8"),
  );
  const session = await login(target, "bench", "bench-password-1");
  const strings = gateway.topology.strings.length;
  const measure = async (label: string, rounds: number, run: () => Promise<number>) => {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      bytes = await run();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const pct = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]?.toFixed(1);
    console.log(`${label.padEnd(44)} median ${pct(0.5)} ms  p95 ${pct(0.95)} ms  ${(bytes / 1024).toFixed(0)} KiB`);
  };
  const get = async (path: string) => {
    const answer = await target.request("GET", path, { cookie: session.cookie });
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status}`);
    return answer.text.length;
  };
  console.log(`plant: ${gateway.topology.blockCount} blocks in ${strings} strings; 1 client, HTTPS, no keep-alive`);
  await measure("GET /api/plant", 50, () => get("/api/plant"));
  await measure("GET /api/strings/1/blocks (120 blocks)", 100, () => get("/api/strings/1/blocks"));
  await measure(`all ${strings} strings' block pages, sequential`, 5, async () => {
    let total = 0;
    for (let s = 1; s <= strings; s++) total += await get(`/api/strings/${s}/blocks`);
    return total;
  });
  await measure("GET /metrics (all points)", 20, () => get("/metrics"));
  await measure("GET /api/alarms", 50, () => get("/api/alarms"));
} finally {
  await gateway.close();
}
