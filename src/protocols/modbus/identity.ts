/**
 * FC43 / MEI 14 "Read Device Identification" objects (Modbus Application Protocol v1.1b3 §6.21): the basic objects
 * 0-2 and the regular objects 4-6 this gateway can fill. VendorUrl (3) and extended objects (0x80..) are not offered.
 */

import { ModbusException } from "../../core/fieldbus/pdu.js";
import { packageVersion } from "../../core/package-info.js";
import { MAP_LAYOUT_VERSION } from "./mapping.js";

export const MEI_READ_DEVICE_ID = 0x0e;
/** Regular identification, stream and individual access (0x80 = individual access supported). */
const CONFORMITY_LEVEL = 0x82;
/** Longest value we send for one object, so every category fits one reply. */
const MAX_OBJECT_BYTES = 64;
/** A reply PDU may carry at most 253 bytes. */
const MAX_PDU = 253;

/** Object id → value, in id order. */
export function deviceIdentification(siteName: string, version = packageVersion()): Map<number, Buffer> {
  const text = (s: string) => Buffer.from(s.replace(/[^\x20-\x7e]/g, "?").slice(0, MAX_OBJECT_BYTES), "latin1");
  return new Map([
    [0x00, text("bms-gateway project")],
    [0x01, text("bmsgw")],
    [0x02, text(version)],
    [0x04, text("bms-gateway battery-monitoring gateway")],
    [0x05, text(`register map layout ${MAP_LAYOUT_VERSION}`)],
    [0x06, text(siteName)],
  ]);
}

function exception(code: number): Buffer {
  return Buffer.from([0x2b | 0x80, code]);
}

/**
 * Answers an FC43 request PDU. Read device id code 1 = basic (0-2), 2 = regular (0-6), 3 = extended (we have none
 * beyond regular, so it streams the regular set), 4 = one object. A stream starting at an id it does not know restarts
 * at object 0, as the spec asks; an unknown id in individual access is exception 02.
 */
export function readDeviceIdentification(pdu: Uint8Array, objects: ReadonlyMap<number, Buffer>): Buffer {
  if (pdu[1] !== MEI_READ_DEVICE_ID) return exception(pdu.length < 2 ? ModbusException.illegalDataValue : 1);
  if (pdu.length !== 4) return exception(ModbusException.illegalDataValue);
  const code = pdu[2] as number;
  const requested = pdu[3] as number;
  if (code < 1 || code > 4) return exception(ModbusException.illegalDataValue);
  let ids: number[];
  if (code === 4) {
    if (!objects.has(requested)) return exception(ModbusException.illegalDataAddress);
    ids = [requested];
  } else {
    const inCategory = [...objects.keys()].filter((id) => (code === 1 ? id <= 2 : id <= 0x7f));
    const start = inCategory.includes(requested) ? requested : 0;
    ids = inCategory.filter((id) => id >= start);
  }
  const parts: Buffer[] = [];
  let size = 7;
  let next = 0;
  let count = 0;
  for (const id of ids) {
    const value = objects.get(id) as Buffer;
    if (size + 2 + value.length > MAX_PDU) {
      next = id;
      break;
    }
    parts.push(Buffer.from([id, value.length]), value);
    size += 2 + value.length;
    count++;
  }
  const header = Buffer.from([0x2b, MEI_READ_DEVICE_ID, code, CONFORMITY_LEVEL, next ? 0xff : 0, next, count]);
  return Buffer.concat([header, ...parts]);
}
