import { type DeviceProfile, STANDARD_IDENTITY } from "./types.js";

const blockFields: DeviceProfile["fields"] = [
  {
    name: "voltage",
    address: 0,
    type: "u16",
    scale: 0.001,
    unit: "V",
    description: "Block voltage, mV.",
    point: "block.voltage",
  },
  {
    name: "temperature",
    address: 1,
    type: "s16",
    scale: 0.1,
    unit: "°C",
    description: "Block temperature, 0.1 °C.",
    point: "block.temperature",
  },
  {
    name: "resistance",
    address: 2,
    type: "u32",
    scale: 0.001,
    unit: "mΩ",
    description: "Internal resistance, µΩ.",
    point: "block.resistance",
  },
  {
    name: "equalization",
    address: 4,
    type: "u16",
    scale: 1,
    unit: "",
    description: "Bypass equalizer: 0 off, 1 active.",
    point: "block.equalization",
  },
  { name: "status", address: 5, type: "u16", scale: 1, unit: "", description: "Block status bits.", status: true },
];

/** BTMS BM-SM style string master: up to 120 cell sensors behind one address plus string voltage and Hall current. */
export const stringMaster: DeviceProfile = {
  id: "string-master",
  description: "String master: string voltage and current plus up to 120 block records read in block transfers.",
  typeCode: 0x0201,
  blocksPerDevice: 120,
  identity: { ...STANDARD_IDENTITY, blockCount: 5 },
  fields: [
    { name: "status", address: 4, type: "u16", scale: 1, unit: "", description: "Master status bits.", status: true },
    {
      name: "blockCount",
      address: 5,
      type: "u16",
      scale: 1,
      unit: "",
      description: "Number of block sensors attached.",
    },
    {
      name: "stringVoltage",
      address: 8,
      type: "u32",
      scale: 0.001,
      unit: "V",
      description: "String voltage, mV.",
      point: "string.voltage",
    },
    {
      name: "stringCurrent",
      address: 10,
      type: "s32",
      scale: 0.001,
      unit: "A",
      description: "String current, mA; positive charges.",
      point: "string.current",
    },
  ],
  blockRecord: { base: 16, stride: 6, fields: blockFields },
  commands: {
    equalize: {
      kind: "register",
      address: 1000,
      perBlock: true,
      description: "Block n at 1000 + n − 1: write 1 to switch its bypass on, 0 off.",
    },
    measureResistance: { kind: "register", address: 40, description: "Write 1 to measure every block's resistance." },
  },
};
