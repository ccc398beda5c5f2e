import { type DeviceProfile, STANDARD_IDENTITY } from "./types.js";

/** Room sensor for ambient temperature and humidity. */
export const envSensor: DeviceProfile = {
  id: "env-sensor",
  description: "Environment sensor: ambient temperature and relative humidity.",
  typeCode: 0x0401,
  blocksPerDevice: 0,
  identity: STANDARD_IDENTITY,
  fields: [
    { name: "status", address: 15, type: "u16", scale: 1, unit: "", description: "Status bits.", status: true },
    {
      name: "temperature",
      address: 16,
      type: "s16",
      scale: 0.1,
      unit: "°C",
      description: "Ambient temperature, 0.1 °C.",
      point: "system.ambientTemperature",
    },
    {
      name: "humidity",
      address: 17,
      type: "u16",
      scale: 0.1,
      unit: "%RH",
      description: "Relative humidity, 0.1 %.",
      point: "system.humidity",
    },
  ],
  commands: {},
};
