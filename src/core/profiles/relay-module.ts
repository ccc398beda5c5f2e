import { type DeviceProfile, STANDARD_IDENTITY } from "./types.js";

/** smallBMS-style protection outputs: load-disconnect and charge-disconnect relays plus a remote on/off input. */
export const relayModule: DeviceProfile = {
  id: "relay-module",
  description: "Relay module: load-disconnect and charge-disconnect outputs (coils 0, 1), remote on/off input.",
  typeCode: 0x0501,
  blocksPerDevice: 0,
  identity: STANDARD_IDENTITY,
  fields: [
    { name: "status", address: 15, type: "u16", scale: 1, unit: "", description: "Status bits.", status: true },
    {
      name: "loadOutput",
      address: 16,
      type: "u16",
      scale: 1,
      unit: "",
      description: "Load-disconnect relay: 1 closed (load allowed), 0 open.",
      point: "string.loadDisconnect",
    },
    {
      name: "chargeOutput",
      address: 17,
      type: "u16",
      scale: 1,
      unit: "",
      description: "Charge-disconnect relay: 1 closed (charging allowed), 0 open.",
      point: "string.chargeDisconnect",
    },
    {
      name: "remoteInput",
      address: 18,
      type: "u16",
      scale: 1,
      unit: "",
      description: "Remote on/off input: 1 on, 0 off.",
      point: "string.remoteOnOff",
    },
  ],
  commands: {
    loadDisconnect: { kind: "coil", address: 0, description: "Coil 0: ON closes the load relay, OFF opens it." },
    chargeDisconnect: { kind: "coil", address: 1, description: "Coil 1: ON closes the charge relay, OFF opens it." },
  },
  discreteInputs: [{ address: 0, name: "remoteInput", description: "Remote on/off input (1 = on)." }],
};
