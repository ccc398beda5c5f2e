/**
 * The settings catalogue: plant-wide alarm settings a SCADA, NMS or admin may change at runtime, each with a stable
 * number. It is the one source for the SNMP threshold table, the Modbus settings registers and the console/web
 * settings pages. A change goes through the `config-set` command (admin, audited): the gateway validates the whole
 * configuration with the config-file schema, writes the file back atomically and applies the alarms section live.
 *
 * Numbers are stable: never renumber or reuse one; append new settings at the end.
 */

export interface SettingDef {
  /** Stable number (SNMP bmsThresholdIndex, Modbus settings register order). */
  readonly index: number;
  /** Short name, e.g. `blockVoltageHighAlarm`. */
  readonly name: string;
  /** Where it lives in the configuration file. */
  readonly path: readonly string[];
  readonly unit: string;
  /** Integer scale on integer wires (value × scale), e.g. 1000 for mV from V. */
  readonly scale: number;
  readonly description: string;
}

const threshold = (
  index: number,
  group: string,
  key: string,
  unit: string,
  scale: number,
  description: string,
): SettingDef => ({
  index,
  name: `${group}${key[0]?.toUpperCase()}${key.slice(1)}`,
  path: ["alarms", "thresholds", group, key],
  unit,
  scale,
  description,
});

export const SETTINGS: readonly SettingDef[] = [
  threshold(1, "blockVoltage", "highAlarm", "V", 1000, "Block voltage high alarm level (103), V per block."),
  threshold(2, "blockVoltage", "highWarning", "V", 1000, "Block voltage high warning level (101), V per block."),
  threshold(3, "blockVoltage", "lowWarning", "V", 1000, "Block voltage low warning level (102), V per block."),
  threshold(4, "blockVoltage", "lowAlarm", "V", 1000, "Block voltage low alarm level (104), V per block."),
  threshold(5, "blockVoltage", "deadband", "V", 1000, "Block voltage deadband (hysteresis), V."),
  threshold(6, "blockTemperature", "highWarning", "°C", 10, "Block temperature high warning, °C."),
  threshold(7, "blockTemperature", "highAlarm", "°C", 10, "Block temperature high alarm, °C."),
  threshold(8, "blockTemperature", "low", "°C", 10, "Block temperature low, °C."),
  threshold(9, "ambientDifference", "high", "°C", 10, "Block temperature above ambient, °C."),
  threshold(10, "resistance", "absolute", "mΩ", 1000, "Absolute internal resistance limit, mΩ (0 = off)."),
  threshold(11, "resistance", "baselineWarningPercent", "%", 10, "Resistance above baseline, warning, %."),
  threshold(12, "resistance", "baselineAlarmPercent", "%", 10, "Resistance above baseline, alarm, %."),
  threshold(13, "stringVoltage", "high", "V", 100, "String voltage high, V."),
  threshold(14, "stringVoltage", "low", "V", 100, "String voltage low, V."),
  threshold(15, "imbalance", "high", "V", 1000, "Voltage imbalance (max − min block) within a string, V."),
  threshold(16, "soc", "low", "%", 10, "State of charge low, %."),
  threshold(17, "current", "high", "A", 10, "String current high (magnitude), A."),
  threshold(18, "discharge", "current", "A", 10, "Discharge detected below −current, A."),
];

export function settingByIndex(index: number): SettingDef | undefined {
  return SETTINGS.find((s) => s.index === index);
}

export function settingByName(name: string): SettingDef | undefined {
  return SETTINGS.find((s) => s.name === name || s.path.join(".") === name);
}

/** A setting with the value in force: the plant-wide override, else the default of the first string. */
export interface SettingValue extends SettingDef {
  readonly value: number;
  /** True when the configuration sets it; false when it is the chemistry default. */
  readonly configured: boolean;
}

/** What adapters may read of the configuration (offered as `services.settings`). */
export interface SettingsView {
  /** The catalogue's settings with the values in force. */
  list(): readonly SettingValue[];
  /** The running configuration, secrets (passwords, keys, communities) replaced by "********". */
  current(): Readonly<Record<string, unknown>>;
  /** The configuration file changes are written to; absent when the gateway runs without one (changes stay in memory). */
  readonly file?: string;
}
