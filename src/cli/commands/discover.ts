import { parseArgs } from "node:util";
import { createLogger } from "../../app/logger.js";
import { BusMaster } from "../../core/poller/bus-master.js";
import { compareWithTopology, parseAddressList, scanBus } from "../../core/poller/discovery.js";
import { buildTopology } from "../../core/topology.js";
import { type Simulator, startSimulator } from "../../sim/index.js";
import { configPath, loadConfigOrReport } from "../config-file.js";
import { type CliCommand, EXIT } from "../types.js";

export const discoverCommand: CliCommand = {
  name: "discover",
  summary: "scan a bus for devices and compare them with the configuration (missing, extra, wrong type)",
  usage: "bmsgw discover --bus ID [--config FILE] [--addresses 1-120,201] [--json]",
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        bus: { type: "string" },
        config: { type: "string", short: "c" },
        addresses: { type: "string", default: "1-247" },
        json: { type: "boolean", default: false },
      },
    });
    const config = loadConfigOrReport(configPath(values.config));
    if (!config) return EXIT.config;
    const bus = config.buses.find((b) => b.id === values.bus);
    const addresses = parseAddressList(values.addresses);
    if (!bus || !addresses) {
      process.stderr.write(
        `${!bus ? `unknown bus "${values.bus ?? ""}"; buses: ${config.buses.map((b) => b.id).join(", ")}` : "addresses must look like 1-120,201,210-220 within 1..247"}\nusage: ${this.usage}\n`,
      );
      return EXIT.usage;
    }
    const topology = buildTopology(config);
    const log = createLogger("warn");
    let sim: Simulator | undefined;
    const t = bus.transport;
    let endpoint: ConstructorParameters<typeof BusMaster>[1];
    if (t.type === "simulated") {
      sim = await startSimulator({ topology, buses: [bus], config: config.simulator, log, exposure: "loopback" });
      const a = sim.attachments[0];
      if (a?.kind !== "tcp") return EXIT.failure;
      endpoint = { type: "tcp", host: a.host, port: a.port };
    } else if (t.type === "rtu-tcp") endpoint = { type: "tcp", host: t.host, port: t.port };
    else
      endpoint = {
        type: "serial",
        path: t.path,
        baudRate: t.baudRate,
        parity: t.parity,
        stopBits: t.stopBits,
        dataBits: t.dataBits,
      };
    // Empty addresses cost a full timeout: scan with a short one and no retries.
    const master = new BusMaster(
      { ...bus, timing: { ...bus.timing, retries: 0, timeout: Math.min(bus.timing.timeout, 150) } },
      endpoint,
    );
    try {
      const found = await scanBus(master, addresses);
      const report = compareWithTopology(bus.id, addresses, found, topology);
      if (values.json) {
        const dev = (d: { address: number; profile: { id: string } }) => ({
          address: d.address,
          profile: d.profile.id,
        });
        process.stdout.write(
          `${JSON.stringify(
            {
              bus: report.bus,
              scanned: report.scanned,
              found: report.found.map((f) => ({
                address: f.address,
                type: f.profile?.id ?? `0x${f.typeCode.toString(16)}`,
                serial: f.serial,
                firmware: f.firmware,
              })),
              missing: report.missing.map(dev),
              extra: report.extra.map((f) => ({
                address: f.address,
                type: f.profile?.id ?? `0x${f.typeCode.toString(16)}`,
              })),
              wrongType: report.wrongType.map((w) => ({
                ...dev(w.expected),
                found: w.found.profile?.id ?? `0x${w.found.typeCode.toString(16)}`,
              })),
              wrongSerial: report.wrongSerial.map((w) => ({
                ...dev(w.expected),
                expected: w.expected.expectedSerial,
                found: w.found.serial,
              })),
            },
            null,
            2,
          )}\n`,
        );
      } else {
        const lines = [
          `bus ${report.bus}: scanned ${report.scanned} addresses, ${report.found.length} devices answered`,
        ];
        const byType = new Map<string, number>();
        for (const f of report.found)
          byType.set(f.profile?.id ?? "unknown", (byType.get(f.profile?.id ?? "unknown") ?? 0) + 1);
        for (const [type, n] of byType) lines.push(`  ${String(n).padStart(4)} × ${type}`);
        for (const d of report.missing) lines.push(`  MISSING   ${d.profile.id} at ${d.address}`);
        for (const f of report.extra)
          lines.push(
            `  EXTRA     ${f.profile?.id ?? `type 0x${f.typeCode.toString(16)}`} at ${f.address} (serial ${f.serial})`,
          );
        for (const w of report.wrongType)
          lines.push(
            `  WRONG     at ${w.expected.address}: ${w.found.profile?.id ?? `type 0x${w.found.typeCode.toString(16)}`} where ${w.expected.profile.id} is configured`,
          );
        for (const w of report.wrongSerial)
          lines.push(
            `  SWAPPED   at ${w.expected.address}: serial ${w.found.serial}, commissioned ${w.expected.expectedSerial}`,
          );
        if (report.missing.length + report.extra.length + report.wrongType.length + report.wrongSerial.length === 0)
          lines.push("  matches the configuration");
        process.stdout.write(`${lines.join("\n")}\n`);
      }
      const mismatch =
        report.missing.length + report.extra.length + report.wrongType.length + report.wrongSerial.length;
      return mismatch === 0 ? EXIT.ok : EXIT.failure;
    } finally {
      await master.close();
      await sim?.stop();
    }
  },
};
