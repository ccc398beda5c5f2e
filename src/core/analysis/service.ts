import { join } from "node:path";
import type { CommandRequest, CommandResult, Principal } from "../adapter.js";
import { type PointChange, Q_GOOD, Q_STALE, type WorkingModel } from "../model.js";
import { CHARGE_STATES, type ChargeState } from "../points.js";
import type { CoreService, ServiceContext } from "../service.js";
import type { StringInfo } from "../topology.js";
import { AnalysisStore, type BlockState } from "./analysis-store.js";
import { ResistanceBaselineStore } from "./baselines.js";
import { classifyChargeState } from "./charge-state.js";
import { PlantClock } from "./clock.js";
import type { AnalysisServiceConfig } from "./config-schema.js";
import { DischargeTracker } from "./discharge.js";
import { judgeString, type Measurement } from "./health.js";
import { CHEMISTRY_DATA, type ChemistryData, cellsPerBlock, socFromOcv } from "./ocv-tables.js";
import { SocEstimator } from "./soc.js";
import type {
  BatteryAnalysis,
  BlockHealth,
  DischargeRecord,
  DischargeSummary,
  ResistanceBaselines,
  StringAnalysis,
} from "./types.js";

/** The gateway acting on its own schedule (same identity as the app's SYSTEM_PRINCIPAL; core cannot import app). */
const SYSTEM: Principal = { user: "system", roles: ["admin"], source: "gateway" };
const HOUSEKEEPING_MS = 1000;
const SAVE_SOC_EVERY_MS = 60_000;

interface StringRuntime {
  readonly info: StringInfo;
  readonly data: ChemistryData;
  readonly cells: number;
  readonly ocv: (cellVoltage: number) => number;
  readonly soc: SocEstimator;
  readonly tracker: DischargeTracker;
  readonly blockVolts: Float64Array;
  readonly blockSoc: Float64Array;
  state: ChargeState;
  measuredCapacityAh: number;
  latest: DischargeSummary | undefined;
  health: BlockHealth[];
  healthDirty: boolean;
}

type Capture = Extract<CommandRequest, { kind: "capture-baseline" }>;

/**
 * Battery analysis: per commit it classifies each string's charge state, estimates SOC (coulomb counting or
 * voltage tables), follows discharges and writes string/block SOC and SOH into the model; it schedules resistance
 * measurements, settles baselines, judges block health and keeps the discharge records (analysis.db).
 */
export const analysisService: CoreService<AnalysisServiceConfig> = {
  name: "analysis",
  async start(ctx) {
    if (!ctx.config.enabled) {
      ctx.health.set("stopped", "analysis disabled in config");
      return;
    }
    const analysis = new Analysis(ctx);
    analysis.start();
  },
};

class Analysis {
  private readonly config: AnalysisServiceConfig;
  private readonly clock: PlantClock;
  private readonly db: AnalysisStore;
  private readonly strings: StringRuntime[];
  private readonly history: Measurement[][];
  private readonly lastLogged: Float64Array;
  private readonly blockStates: BlockState[];
  private readonly blockString: Int32Array;
  private ownBaselines: ResistanceBaselineStore | undefined;
  private nextId: number;
  private lastSocSave = Date.now();

  constructor(private readonly ctx: ServiceContext<AnalysisServiceConfig>) {
    this.config = ctx.config;
    this.clock = new PlantClock(ctx.config.plantTimeScale);
    const topology = ctx.store.topology;
    this.db = new AnalysisStore(join(ctx.storagePath, "analysis.db"));
    this.nextId = this.db.nextDischargeId();
    const socs = this.db.stringSocs();
    const capacities = this.db.latestCapacities();
    const latest = this.db.latestDischarges();
    const d = this.config.discharge;
    this.strings = topology.strings.map((info) => {
      const data = this.chemistry(info);
      const cells = cellsPerBlock(info.chemistry, info.nominalBlockVoltage);
      const ocv = (v: number) => socFromOcv(data.ocv, v);
      return {
        info,
        data,
        cells,
        ocv,
        soc: new SocEstimator(this.config.soc, ocv, socs.get(info.id)),
        tracker: new DischargeTracker(
          info.id,
          {
            endHold: d.endHold,
            minDuration: d.minDuration,
            curveInterval: d.curveInterval,
            runtimeSmoothing: d.runtimeSmoothing,
            endBlockVoltage: (d.endCellVoltage ?? data.endCellVoltage) * cells,
          },
          () => this.nextId++,
          (record) => this.finished(record),
        ),
        blockVolts: new Float64Array(info.blockCount),
        blockSoc: new Float64Array(info.blockCount).fill(Number.NaN),
        state: "unknown",
        measuredCapacityAh: capacities.get(info.id) ?? Number.NaN,
        latest: latest.get(info.id),
        health: [],
        healthDirty: true,
      };
    });
    this.blockString = topology.stringOfBlock;
    this.history = Array.from({ length: topology.blockCount }, () => []);
    this.lastLogged = new Float64Array(topology.blockCount).fill(Number.NaN);
    this.blockStates = Array.from({ length: topology.blockCount }, () => ({
      firstMeasured: Number.NaN,
      settledAt: Number.NaN,
    }));
    const recent = this.db.recentResistances(this.config.resistance.trendWindow);
    const states = this.db.blockStates();
    for (const s of topology.strings)
      for (let b = 1; b <= s.blockCount; b++) {
        const row = s.firstBlockRow + b - 1;
        const list = recent.get(`${s.id}/${b}`) ?? [];
        this.history[row] = list;
        this.lastLogged[row] = list[list.length - 1]?.value ?? Number.NaN;
        const state = states.get(`${s.id}/${b}`);
        if (state) this.blockStates[row] = state;
      }
  }

  private chemistry(info: StringInfo): ChemistryData {
    const base = CHEMISTRY_DATA[info.chemistry];
    const table = this.config.ocv[info.chemistry];
    return table ? { ...base, ocv: table } : base;
  }

  /** Baselines: the alarms service's store when it runs (one file, one copy), else our own on the same file. */
  private baselines(): ResistanceBaselines {
    const shared = this.ctx.services?.resistanceBaselines;
    if (shared) return shared;
    this.ownBaselines ??= new ResistanceBaselineStore(
      join(this.ctx.storagePath, "resistance-baselines.json"),
      this.ctx.store.topology,
    );
    return this.ownBaselines;
  }

  start(): void {
    const { ctx } = this;
    ctx.store.addDeriver((model, dirty, changes) => this.derive(model, dirty, changes));
    const housekeeping = setInterval(() => this.housekeeping(), HOUSEKEEPING_MS);
    housekeeping.unref();
    const interval = this.config.resistance.interval;
    let schedule: NodeJS.Timeout | undefined;
    if (interval > 0) {
      schedule = setInterval(() => void this.measure(), Math.max(50, this.clock.wallDuration(interval)));
      schedule.unref();
    }
    const prune = () => this.db.pruneDischarges(Date.now() - this.config.discharge.retention);
    prune();
    ctx.defer(() => {
      clearInterval(housekeeping);
      clearInterval(schedule);
      this.saveSocs();
      this.db.close();
    });
    ctx.commands.handle("capture-baseline", (request) => Promise.resolve(this.capture(request)));
    ctx.provide({ analysis: this.api() });
    ctx.health.set(
      "ok",
      `${this.strings.length} string(s); resistance ${interval > 0 ? `every ${interval / 1000} s` : "on demand"}` +
        (this.clock.scale !== 1 ? `; plant time ×${this.clock.scale}` : ""),
    );
  }

  /** Scheduled resistance measurement, through the same command an operator would run. */
  private async measure(): Promise<void> {
    const result = await this.ctx.commands.run(SYSTEM, { kind: "measure-resistance" });
    this.ctx.health.count("measurements");
    if (!result.ok)
      this.ctx.log.warn(
        { code: result.code },
        `E_ANALYSIS_MEASURE: scheduled resistance measurement failed: ${result.error}; check the probes' bus`,
      );
  }

  private housekeeping(): void {
    const plant = this.clock.now();
    const settling = this.config.resistance.settlingPeriod;
    const due: number[] = [];
    this.blockStates.forEach((st, row) => {
      if (Number.isFinite(st.firstMeasured) && Number.isNaN(st.settledAt) && plant - st.firstMeasured >= settling)
        due.push(row);
    });
    if (due.length > 0) {
      this.settle(due, plant);
      this.ctx.requestCommit();
    }
    if (Date.now() - this.lastSocSave >= SAVE_SOC_EVERY_MS) this.saveSocs();
  }

  private saveSocs(): void {
    this.lastSocSave = Date.now();
    for (const s of this.strings)
      if (Number.isFinite(s.soc.soc)) this.db.setStringSoc(s.info.id, s.soc.soc, Date.now());
  }

  /** Makes the latest measurement of each row its final baseline. */
  private settle(rows: readonly number[], plant: number): number {
    const entries: { row: number; value: number }[] = [];
    for (const row of rows) {
      const value = this.lastLogged[row] ?? Number.NaN;
      if (!(value > 0)) continue;
      entries.push({ row, value });
      const st = this.blockStates[row] as BlockState;
      st.settledAt = plant;
      if (Number.isNaN(st.firstMeasured)) st.firstMeasured = plant;
      const s = this.strings[this.blockString[row] ?? 0] as StringRuntime;
      this.db.setBlockState(s.info.id, row - s.info.firstBlockRow + 1, st);
      s.healthDirty = true;
    }
    if (entries.length > 0) {
      try {
        this.baselines().set(entries);
      } catch (error) {
        this.ctx.log.error(
          { err: error },
          "E_ANALYSIS_BASELINE_SAVE: cannot save resistance baselines; check storage.path",
        );
      }
      this.ctx.health.count("baselines", entries.length);
    }
    return entries.length;
  }

  private capture(request: Capture): CommandResult {
    const topology = this.ctx.store.topology;
    const targets = topology.strings.filter((s) => request.stringId === undefined || s.id === request.stringId);
    if (targets.length === 0)
      return { ok: false, error: `no string ${request.stringId}`, code: "E_ANALYSIS_NO_STRING" };
    const rows: number[] = [];
    for (const s of targets) {
      if (request.block !== undefined && (request.block < 1 || request.block > s.blockCount))
        return { ok: false, error: `string ${s.id} has blocks 1..${s.blockCount}`, code: "E_ANALYSIS_NO_BLOCK" };
      for (let b = 1; b <= s.blockCount; b++)
        if (request.block === undefined || request.block === b) rows.push(s.firstBlockRow + b - 1);
    }
    const n = this.settle(rows, this.clock.now());
    this.ctx.requestCommit();
    if (n === 0)
      return {
        ok: false,
        error: "no resistance measured yet for these blocks; run measure-resistance first",
        code: "E_ANALYSIS_NO_MEASUREMENT",
      };
    return { ok: true, message: `baseline captured for ${n} of ${rows.length} block(s)` };
  }

  private onMeasurement(row: number, value: number, plant: number): void {
    if (value === this.lastLogged[row] || !(value > 0)) return;
    this.lastLogged[row] = value;
    const s = this.strings[this.blockString[row] ?? 0] as StringRuntime;
    const block = row - s.info.firstBlockRow + 1;
    const list = this.history[row] as Measurement[];
    list.push({ time: plant, value });
    if (list.length > this.config.resistance.trendWindow) list.shift();
    this.db.addResistance(s.info.id, block, plant, value);
    const st = this.blockStates[row] as BlockState;
    if (Number.isNaN(st.firstMeasured)) {
      st.firstMeasured = plant;
      this.db.setBlockState(s.info.id, block, st);
      if (this.config.resistance.settlingPeriod === 0) this.settle([row], plant);
    }
    s.healthDirty = true;
  }

  private finished(record: DischargeRecord): void {
    this.db.addDischarge(record);
    const s = this.strings.find((x) => x.info.id === record.stringId);
    if (!s) return;
    s.latest = record;
    if (Number.isFinite(record.capacityAh)) s.measuredCapacityAh = record.capacityAh;
    s.healthDirty = true;
    this.ctx.health.count("discharges");
    this.ctx.log.info(
      { discharge: record.id, stringId: record.stringId },
      `discharge #${record.id} of string ${record.stringId} recorded: ${record.ampereHours.toFixed(2)} Ah in ${Math.round(record.durationSeconds)} s`,
    );
  }

  private capacity(s: StringRuntime): number {
    return s.measuredCapacityAh > 0 ? s.measuredCapacityAh : s.info.capacityAh;
  }

  /** The deriver: runs inside every commit, before the alarms are evaluated. */
  private derive(model: WorkingModel, dirtyStrings: ReadonlySet<number>, changes: readonly PointChange[]): void {
    const wall = Date.now();
    const plant = this.clock.plantAt(wall);
    // Only strings with new readings are worked on: a commit follows every device read, and walking all 10,000
    // blocks each time cost a fifth of the gateway's allocations. SOC integrates over the time between updates.
    const touched = new Set(dirtyStrings);
    for (const c of changes) {
      if (c.scope === "string") touched.add(c.row);
      if (c.point === "block.resistance" && c.quality === "good") this.onMeasurement(c.row, c.value, plant);
    }
    const threshold = this.config.chargeState.currentThreshold;
    for (const s of this.strings) {
      const row = s.info.index;
      if (!touched.has(row) && !s.healthDirty) continue;
      const good = (point: "string.current" | "string.voltage" | "string.blockVoltageMean") =>
        model.quality(point, row) === Q_GOOD;
      const current = good("string.current") ? model.read("string.current", row) : Number.NaN;
      const mean = good("string.blockVoltageMean") ? model.read("string.blockVoltageMean", row) : Number.NaN;
      const cellVoltage = mean / s.cells;
      const amps = threshold * s.info.capacityAh;
      s.state = classifyChargeState({
        current,
        cellVoltage,
        currentThreshold: amps,
        chargeCurrent: this.config.chargeState.chargeCurrent * s.info.capacityAh,
        data: s.data,
      });
      const soc = s.soc.update({
        now: plant,
        current,
        state: s.state,
        cellVoltage,
        capacityAh: this.capacity(s),
        taperedCurrent: amps,
      });
      writeIfChanged(model, "string.chargeState", row, CHARGE_STATES.indexOf(s.state), Q_GOOD, wall);
      writeIfChanged(model, "string.soc", row, round1(soc), Number.isFinite(soc) ? Q_GOOD : Q_STALE, wall);
      // Block SOC: the string's, shifted by each block's own OCV once the string has rested (or voltage-only).
      const rested = s.soc.rested(plant);
      const voltageOnly = s.soc.method === "voltage" && (s.state === "discharge" || s.state === "rest");
      const meanOcv = s.ocv(cellVoltage);
      for (let b = 0; b < s.info.blockCount; b++) {
        const r = s.info.firstBlockRow + b;
        const v = model.quality("block.voltage", r) === Q_GOOD ? model.read("block.voltage", r) : Number.NaN;
        s.blockVolts[b] = v;
        let blockSoc = soc;
        if (Number.isFinite(v) && (rested || voltageOnly)) {
          const own = s.ocv(v / s.cells);
          blockSoc = voltageOnly ? own : clamp100(soc + own - meanOcv);
        }
        s.blockSoc[b] = blockSoc;
        writeIfChanged(model, "block.soc", r, round1(blockSoc), Number.isFinite(blockSoc) ? Q_GOOD : Q_STALE, wall);
      }
      s.tracker.update({
        wall,
        plant,
        current,
        discharging: s.state === "discharge",
        threshold: amps,
        stringVoltage: good("string.voltage") ? model.read("string.voltage", row) : Number.NaN,
        minBlockVoltage: model.read("string.blockVoltageMin", row),
        maxBlockVoltage: model.read("string.blockVoltageMax", row),
        meanBlockVoltage: mean,
        blockVoltages: s.blockVolts,
        soc,
      });
      if (s.healthDirty) this.judge(model, s, wall);
    }
  }

  private judge(model: WorkingModel, s: StringRuntime, wall: number): void {
    s.healthDirty = false;
    const first = s.info.firstBlockRow;
    const n = s.info.blockCount;
    const baselines = this.baselines();
    const resistance = Float64Array.from({ length: n }, (_, b) =>
      model.quality("block.resistance", first + b) === Q_GOOD ? model.read("block.resistance", first + b) : Number.NaN,
    );
    s.health = judgeString(
      {
        stringId: s.info.id,
        nominalBlockVoltage: s.info.nominalBlockVoltage,
        resistance,
        baseline: Float64Array.from({ length: n }, (_, b) => baselines.get(first + b)),
        settled: Array.from({ length: n }, (_, b) => Number.isFinite(this.blockStates[first + b]?.settledAt)),
        soc: s.blockSoc,
        history: this.history.slice(first, first + n),
        ...(s.latest ? { latestDischarge: s.latest } : {}),
        capacityAh: s.measuredCapacityAh,
        nominalCapacityAh: s.info.capacityAh,
      },
      this.config,
    );
    let worst = 100;
    for (const h of s.health) {
      writeIfChanged(model, "block.soh", first + h.block - 1, round1(h.soh), Q_GOOD, wall);
      worst = Math.min(worst, h.soh);
    }
    if (s.measuredCapacityAh > 0) worst = Math.min(worst, (s.measuredCapacityAh / s.info.capacityAh) * 100);
    writeIfChanged(model, "string.soh", s.info.index, round1(worst), Q_GOOD, wall);
  }

  private stringView(s: StringRuntime): StringAnalysis {
    const discharge = s.tracker.current();
    const soc = s.soc.soc;
    return {
      stringId: s.info.id,
      chargeState: s.state,
      soc,
      socMethod: s.soc.method,
      soh: s.health.reduce(
        (m, h) => Math.min(m, h.soh),
        s.measuredCapacityAh > 0 ? (s.measuredCapacityAh / s.info.capacityAh) * 100 : 100,
      ),
      runtimeSeconds: s.tracker.runtimeSeconds(soc, this.capacity(s)),
      capacityAh: s.measuredCapacityAh,
      nominalCapacityAh: s.info.capacityAh,
      ...(discharge ? { discharge: withoutCurve(discharge) } : {}),
    };
  }

  private api(): BatteryAnalysis {
    const inProgress = () => this.strings.flatMap((s) => s.tracker.current() ?? []);
    return {
      ranking: (options = {}) => {
        const all = this.strings
          .filter((s) => options.stringId === undefined || s.info.id === options.stringId)
          .flatMap((s) => s.health)
          .filter((h) => options.all === true || h.reasons.length > 0)
          .sort((a, b) => b.score - a.score || a.stringId - b.stringId || a.block - b.block);
        return options.limit !== undefined ? all.slice(0, options.limit) : all;
      },
      block: (stringId, block) =>
        this.strings.find((s) => s.info.id === stringId)?.health.find((h) => h.block === block),
      strings: (stringId) =>
        this.strings.filter((s) => stringId === undefined || s.info.id === stringId).map((s) => this.stringView(s)),
      discharges: (query = {}) => {
        const running = inProgress()
          .filter(
            (d) =>
              (query.stringId === undefined || d.stringId === query.stringId) &&
              (query.from === undefined || d.start >= query.from) &&
              (query.to === undefined || d.start < query.to),
          )
          .map(withoutCurve);
        return [...running, ...this.db.discharges(query)].slice(0, Math.min(10_000, query.limit ?? 100));
      },
      discharge: (id) => inProgress().find((d) => d.id === id) ?? this.db.discharge(id),
      flush: async () => this.db.flush(),
    };
  }
}

function withoutCurve(d: DischargeRecord): DischargeSummary {
  const { curve: _curve, ...summary } = d;
  return summary;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function clamp100(x: number): number {
  return Math.min(100, Math.max(0, x));
}

/** Writes only real changes, so an unchanged column is not copied into every snapshot. */
function writeIfChanged(
  model: WorkingModel,
  point: "string.chargeState" | "string.soc" | "string.soh" | "block.soc" | "block.soh",
  row: number,
  value: number,
  quality: number,
  time: number,
): void {
  const old = model.read(point, row);
  const same = old === value || (Number.isNaN(old) && Number.isNaN(value));
  if (same && model.quality(point, row) === quality) return;
  model.write(point, row, value, quality, time);
}
