import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import type { SweepReport } from "../core/poller/poller.js";

const RESOLUTION_MS = 10;

/** Per-bus sweep totals since start: sweep count, summed and last duration. */
export interface BusSweepTotals {
  readonly bus: string;
  readonly sweeps: number;
  readonly totalMs: number;
  readonly lastMs: number;
  readonly lastTransactions: number;
  readonly lastFailedDevices: number;
}

/** What `{ "op": "diagnostics" }` on the control socket answers: process figures for benchmarks and support. */
export interface ProcessDiagnostics {
  readonly time: number;
  readonly uptimeMs: number;
  readonly memory: NodeJS.MemoryUsage;
  /** Process CPU time since start, µs. */
  readonly cpu: NodeJS.CpuUsage;
  /** Event-loop delay since the previous reset (ms); absent on the first request, which starts the monitor. */
  readonly eventLoop?: { readonly p50: number; readonly p99: number; readonly max: number; readonly samples: number };
  readonly buses: readonly BusSweepTotals[];
}

/**
 * Process diagnostics behind the control socket. The event-loop monitor only starts on the first request, so a
 * gateway nobody asks costs nothing; `reset` starts a new measuring window.
 */
export class Diagnostics {
  private histogram: IntervalHistogram | undefined;
  private readonly sweeps = new Map<string, BusSweepTotals>();

  recordSweep(report: SweepReport): void {
    const previous = this.sweeps.get(report.bus);
    this.sweeps.set(report.bus, {
      bus: report.bus,
      sweeps: (previous?.sweeps ?? 0) + 1,
      totalMs: (previous?.totalMs ?? 0) + report.durationMs,
      lastMs: report.durationMs,
      lastTransactions: report.transactions,
      lastFailedDevices: report.failedDevices,
    });
  }

  read(reset: boolean): ProcessDiagnostics {
    const h = this.histogram;
    // The histogram records the whole interval between timer ticks; the delay is what exceeds the resolution.
    const delay = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    const eventLoop =
      h && h.count > 0
        ? { p50: delay(h.percentile(50)), p99: delay(h.percentile(99)), max: delay(h.max), samples: h.count }
        : undefined;
    if (!h) {
      this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      this.histogram.enable();
    } else if (reset) h.reset();
    return {
      time: Date.now(),
      uptimeMs: Math.round(process.uptime() * 1000),
      memory: process.memoryUsage(),
      cpu: process.cpuUsage(),
      ...(eventLoop ? { eventLoop } : {}),
      buses: [...this.sweeps.values()],
    };
  }
}
