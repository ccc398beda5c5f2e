import type { PlantSnapshot } from "../core/model.js";
import { Q_GOOD } from "../core/model.js";

/** One line describing the whole plant, for the periodic log and the console. */
export function plantSummary(s: PlantSnapshot): string {
  const t = s.topology;
  const voltages = s.column("block.voltage");
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let good = 0;
  for (let i = 0; i < t.blockCount; i++) {
    if (voltages.quality(i) !== Q_GOOD) continue;
    const v = voltages.value(i);
    good++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const devicesOk = s.devices.filter((d) => d.comm === "ok").length;
  const strings = t.strings
    .map((info) => {
      const v = s.sample("string.voltage", info.index);
      const i = s.sample("string.current", info.index);
      const fmt = (x: { value: number; quality: string }, d: number, u: string) =>
        x.quality === "good" ? `${x.value.toFixed(d)} ${u}` : x.quality;
      return `S${info.id} ${fmt(v, 1, "V")} ${fmt(i, 1, "A")}`;
    })
    .join(", ");
  const a = s.alarmSummary;
  const range = good > 0 ? `${min.toFixed(3)}–${max.toFixed(3)} V` : "no data";
  return `${good}/${t.blockCount} blocks ${range} | devices ${devicesOk}/${s.devices.length} ok | alarms ${a.critical} critical, ${a.warning} warning | ${strings}`;
}
