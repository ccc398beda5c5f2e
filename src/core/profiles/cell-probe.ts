import { type DeviceProfile, STANDARD_IDENTITY } from "./types.js";

/** One probe on one block (BP100 style): voltage, temperature, internal resistance, bypass equalizer. */
export const cellProbe: DeviceProfile = {
  id: "cell-probe",
  description: "Block probe: voltage, temperature, internal resistance and bypass equalizer for one block.",
  typeCode: 0x0101,
  blocksPerDevice: 1,
  identity: STANDARD_IDENTITY,
  fields: [
    { name: "status", address: 16, type: "u16", scale: 1, unit: "", description: "Status bits.", status: true },
    {
      name: "voltage",
      address: 17,
      type: "u16",
      scale: 0.001,
      unit: "V",
      description: "Block voltage, mV.",
      point: "block.voltage",
    },
    {
      name: "temperature",
      address: 18,
      type: "s16",
      scale: 0.1,
      unit: "°C",
      description: "Block temperature, 0.1 °C.",
      point: "block.temperature",
    },
    {
      name: "resistance",
      address: 19,
      type: "u32",
      scale: 0.001,
      unit: "mΩ",
      description: "Internal resistance of the latest measurement, µΩ.",
      point: "block.resistance",
    },
    {
      name: "equalization",
      address: 21,
      type: "u16",
      scale: 1,
      unit: "",
      description: "Bypass equalizer: 0 off, 1 active.",
      point: "block.equalization",
    },
    { name: "bypassCurrent", address: 22, type: "u16", scale: 0.001, unit: "A", description: "Bypass current, mA." },
  ],
  commands: {
    equalize: { kind: "register", address: 32, description: "Write 1 to switch the bypass on, 0 to switch it off." },
    measureResistance: { kind: "register", address: 33, description: "Write 1 to start a resistance measurement." },
  },
};
