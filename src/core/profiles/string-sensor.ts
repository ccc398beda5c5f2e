import { type DeviceProfile, STANDARD_IDENTITY } from "./types.js";

/** String voltage and Hall-effect current sensor. */
export const stringSensor: DeviceProfile = {
  id: "string-sensor",
  description: "String sensor: string voltage and Hall-effect current.",
  typeCode: 0x0301,
  blocksPerDevice: 0,
  identity: STANDARD_IDENTITY,
  fields: [
    { name: "status", address: 15, type: "u16", scale: 1, unit: "", description: "Status bits.", status: true },
    {
      name: "stringVoltage",
      address: 16,
      type: "u32",
      scale: 0.001,
      unit: "V",
      description: "String voltage, mV.",
      point: "string.voltage",
    },
    {
      name: "stringCurrent",
      address: 18,
      type: "s32",
      scale: 0.001,
      unit: "A",
      description: "String current, mA; positive charges.",
      point: "string.current",
    },
  ],
  commands: {},
};
