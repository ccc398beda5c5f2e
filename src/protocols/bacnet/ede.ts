/**
 * EDE (Engineering Data Exchange, layout 2.3) files that BMS integrators import: the object list of our device
 * and the state-text table its multi-state and binary objects refer to. Pure projection of the device model.
 */
import { ObjectType } from "@bacnet-js/client/dist/lib/enum.js";
import type { PlantTopology } from "../../core/topology.js";
import type { BacnetConfig } from "./config-schema.js";
import { DeviceModel } from "./device-model.js";
import type { BacnetObject } from "./mapping.js";

export const EDE_FORMATS = ["objects", "state-texts"] as const;
export type EdeFormat = (typeof EDE_FORMATS)[number];

const HEADER =
  "# keyname;device obj.-instance;object-name;object-type;object-instance;description;present-value-default;" +
  "min-present-value;max-present-value;settable;supports COV;hi-limit;low-limit;state-text-reference;unit-code;" +
  "vendor-specific-address";

/** EDE fields are `;`-separated; keep our texts from breaking a row. */
function field(text: string): string {
  return text.replaceAll(";", ",").replaceAll("\n", " ");
}

function stateTextTables(objects: Iterable<BacnetObject>): string[][] {
  const tables: string[][] = [];
  const seen = new Map<string, number>();
  for (const o of objects) {
    const texts = stateTexts(o);
    if (!texts) continue;
    const key = texts.join("|");
    if (!seen.has(key)) {
      seen.set(key, tables.length + 1);
      tables.push(texts);
    }
  }
  return tables;
}

function stateTexts(o: BacnetObject): string[] | undefined {
  if (o.type === ObjectType.MULTI_STATE_INPUT) return [...(o.states ?? [])];
  if (o.type === ObjectType.BINARY_INPUT || o.type === ObjectType.BINARY_VALUE)
    return o.kind === "point" ? ["off", "on"] : ["normal", "alarm"];
  return undefined;
}

export function renderEde(
  topology: PlantTopology,
  config: BacnetConfig,
  format: EdeFormat,
  banner: string,
  version: string,
): string {
  const model = new DeviceModel(topology, config, {
    vendorName: "bms-gateway project",
    modelName: "bms-gateway",
    firmwareRevision: version,
    applicationSoftwareVersion: version,
  });
  const tables = stateTextTables(model.objects());
  if (format === "state-texts") {
    const width = Math.max(...tables.map((t) => t.length));
    const head = Array.from({ length: width }, (_, i) => `Text ${i + 1}`).join(";");
    return [`# ${banner}`, `#EDE-Text-Reference;${head}`, ...tables.map((t, i) => `${i + 1};${t.join(";")}`), ""].join(
      "\n",
    );
  }
  const tableOf = new Map(tables.map((t, i) => [t.join("|"), i + 1]));
  const rows = Array.from(model.objects(), (o) => {
    const texts = stateTexts(o);
    const range = o.point && o.type === ObjectType.ANALOG_INPUT ? o.point.range : undefined;
    const settable = o.output ? "W" : "R";
    const cov = o.kind === "device" || o.kind === "view" ? "" : "Y";
    const name = o.name;
    return [
      `${model.device.instance}_${name}`,
      model.device.instance,
      field(name),
      o.type,
      o.instance,
      field(o.description),
      "",
      range?.[0] ?? "",
      range?.[1] ?? "",
      settable,
      cov,
      "",
      "",
      texts ? tableOf.get(texts.join("|")) : "",
      o.units ?? "",
      "",
    ].join(";");
  });
  return [
    `# ${banner}`,
    `PROJECT_NAME;${field(topology.site.name)}`,
    "VERSION_OF_REFERENCEFILE;1",
    "TIMESTAMP_OF_LAST_CHANGE;",
    `AUTHOR_OF_LAST_CHANGE;bms-gateway ${version}`,
    "VERSION_OF_LAYOUT;2.3",
    "#mandatory;mandatory;mandatory;mandatory;mandatory;optional;optional;optional;optional;optional;optional;optional;optional;optional;conditional;conditional",
    HEADER,
    ...rows,
    "",
  ].join("\n");
}
