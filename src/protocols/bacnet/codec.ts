/**
 * BACnet/IP framing (Annex J BVLL, clause 6 NPDU, clause 20 APDU headers) for a non-routing device. Decoding is
 * bounds-checked and never throws: anything malformed comes back as `drop` with a reason, so garbage on the wire
 * can never take the device down. Service payloads are encoded with the @bacnet-js/client ASN.1 primitives.
 */
import * as asn1 from "@bacnet-js/client/dist/lib/asn1.js";
import type { AppValue } from "./device-model.js";
import { OBJECT_REFERENCE } from "./device-model.js";

export interface Peer {
  readonly address: string;
  readonly port: number;
}

/** A remote network/address from the NPDU source (a device behind a router). */
export interface RoutedAddress {
  readonly net: number;
  readonly adr: Buffer;
}

export interface ApduFrame {
  readonly kind: "apdu";
  /** Where replies go: the originating B/IP address of a forwarded NPDU, else the UDP source. */
  readonly replyTo: Peer;
  readonly broadcast: boolean;
  readonly expectingReply: boolean;
  readonly source?: RoutedAddress;
  readonly apdu: Buffer;
}

export type Inbound =
  | ApduFrame
  | { readonly kind: "bvlc-result"; readonly code: number; readonly from: Peer }
  /** A BBMD function we do not implement: answer with this BVLC-Result NAK code. */
  | { readonly kind: "bvlc-nak"; readonly code: number; readonly replyTo: Peer }
  | { readonly kind: "drop"; readonly reason: string };

const BVLL_TYPE = 0x81;
export const BVLC = {
  RESULT: 0x00,
  FORWARDED_NPDU: 0x04,
  REGISTER_FOREIGN_DEVICE: 0x05,
  DISTRIBUTE_BROADCAST: 0x09,
  ORIGINAL_UNICAST: 0x0a,
  ORIGINAL_BROADCAST: 0x0b,
} as const;

/** BVLC-Result NAK codes for the BBMD functions a plain device does not offer (Annex J.2.1). */
const NAK_FOR: Record<number, number> = {
  1: 0x0010, // Write-Broadcast-Distribution-Table
  2: 0x0020, // Read-Broadcast-Distribution-Table
  5: 0x0030, // Register-Foreign-Device
  6: 0x0040, // Read-Foreign-Device-Table
  8: 0x0050, // Delete-Foreign-Device-Table-Entry
  9: 0x0060, // Distribute-Broadcast-To-Network
};

const drop = (reason: string): Inbound => ({ kind: "drop", reason });

export function decodeDatagram(msg: Buffer, from: Peer): Inbound {
  if (msg.length < 4) return drop("shorter than a BVLL header");
  if (msg[0] !== BVLL_TYPE) return drop("not BACnet/IP (BVLL type is not 0x81)");
  const fn = msg[1] ?? -1;
  if (msg.readUInt16BE(2) !== msg.length) return drop("BVLL length does not match the datagram");
  if (fn === BVLC.RESULT)
    return msg.length >= 6 ? { kind: "bvlc-result", code: msg.readUInt16BE(4), from } : drop("short BVLC-Result");
  const nak = NAK_FOR[fn];
  if (nak !== undefined) return { kind: "bvlc-nak", code: nak, replyTo: from };
  let offset = 4;
  let replyTo = from;
  if (fn === BVLC.FORWARDED_NPDU) {
    if (msg.length < 10) return drop("short Forwarded-NPDU");
    replyTo = { address: `${msg[4]}.${msg[5]}.${msg[6]}.${msg[7]}`, port: msg.readUInt16BE(8) };
    offset = 10;
  } else if (fn !== BVLC.ORIGINAL_UNICAST && fn !== BVLC.ORIGINAL_BROADCAST)
    return drop(`BVLC function ${fn} not handled`);
  return decodeNpdu(msg, offset, replyTo, fn !== BVLC.ORIGINAL_UNICAST);
}

function decodeNpdu(msg: Buffer, start: number, replyTo: Peer, broadcast: boolean): Inbound {
  let o = start;
  if (msg.length - o < 2) return drop("short NPDU");
  if (msg[o] !== 0x01) return drop("NPDU protocol version is not 1");
  const control = msg[o + 1] ?? 0;
  o += 2;
  if (control & 0x80) return drop("network layer message (this device is not a router)");
  let destinationNet: number | undefined;
  if (control & 0x20) {
    if (msg.length - o < 3) return drop("truncated NPDU destination");
    destinationNet = msg.readUInt16BE(o);
    const dlen = msg[o + 2] ?? 0;
    o += 3 + dlen;
  }
  let source: RoutedAddress | undefined;
  if (control & 0x08) {
    if (msg.length - o < 3) return drop("truncated NPDU source");
    const net = msg.readUInt16BE(o);
    const slen = msg[o + 2] ?? 0;
    if (slen === 0 || net === 0xffff || msg.length - o < 3 + slen) return drop("invalid NPDU source");
    source = { net, adr: Buffer.from(msg.subarray(o + 3, o + 3 + slen)) };
    o += 3 + slen;
  }
  if (destinationNet !== undefined) o += 1; // hop count
  if (o >= msg.length) return drop("NPDU without APDU");
  if (destinationNet !== undefined && destinationNet !== 0xffff) return drop("addressed to a remote network");
  return {
    kind: "apdu",
    replyTo,
    broadcast: broadcast || destinationNet === 0xffff,
    expectingReply: (control & 0x04) !== 0,
    ...(source ? { source } : {}),
    apdu: msg.subarray(o),
  };
}

export const PDU = {
  CONFIRMED: 0,
  UNCONFIRMED: 1,
  SIMPLE_ACK: 2,
  COMPLEX_ACK: 3,
  SEGMENT_ACK: 4,
  ERROR: 5,
  REJECT: 6,
  ABORT: 7,
} as const;

export interface ConfirmedHeader {
  readonly segmented: boolean;
  readonly segmentedResponseAccepted: boolean;
  /** Largest APDU the client accepts, in octets. */
  readonly maxApdu: number;
  readonly invokeId: number;
  readonly service: number;
  readonly payloadOffset: number;
}

const MAX_APDU_CODES = [50, 128, 206, 480, 1024, 1476];

/** Decodes a confirmed-request header, or undefined when it is too short to carry one. */
export function decodeConfirmedHeader(apdu: Buffer): ConfirmedHeader | undefined {
  const b0 = apdu[0] ?? 0;
  const segmented = (b0 & 0x08) !== 0;
  const serviceAt = segmented ? 5 : 3;
  if (apdu.length <= serviceAt) return undefined;
  return {
    segmented,
    segmentedResponseAccepted: (b0 & 0x02) !== 0,
    maxApdu: MAX_APDU_CODES[(apdu[1] ?? 0) & 0x0f] ?? 50,
    invokeId: apdu[2] ?? 0,
    service: apdu[serviceAt] ?? 0,
    payloadOffset: serviceAt + 1,
  };
}

/** A growable-enough scratch buffer for encoding; the result is copied out. */
export interface EncodeBuffer {
  buffer: Buffer;
  offset: number;
}

export function scratch(size = 65_536): EncodeBuffer {
  return { buffer: Buffer.alloc(size), offset: 0 };
}

export function encodeValue(buf: EncodeBuffer, value: AppValue): void {
  if (value.type === OBJECT_REFERENCE) {
    const ref = value.value as { type: number; instance: number };
    asn1.encodeContextObjectId(buf, 1, ref.type, ref.instance);
    return;
  }
  asn1.bacappEncodeApplicationData(buf, value as never);
}

function npduHeader(expectingReply: boolean, destination?: RoutedAddress): Buffer {
  if (!destination) return Buffer.from([0x01, expectingReply ? 0x04 : 0x00]);
  const head = Buffer.alloc(2 + 3 + destination.adr.length + 1);
  head[0] = 0x01;
  head[1] = 0x20 | (expectingReply ? 0x04 : 0x00);
  head.writeUInt16BE(destination.net, 2);
  head[4] = destination.adr.length;
  destination.adr.copy(head, 5);
  head[head.length - 1] = 0xff;
  return head;
}

/** Wraps an APDU into NPDU and BVLL for sending. */
export function frame(
  apdu: Buffer,
  options: { broadcast?: boolean; expectingReply?: boolean; destination?: RoutedAddress } = {},
): Buffer {
  const npdu = npduHeader(options.expectingReply ?? false, options.destination);
  const out = Buffer.alloc(4 + npdu.length + apdu.length);
  out[0] = BVLL_TYPE;
  out[1] = options.broadcast ? BVLC.ORIGINAL_BROADCAST : BVLC.ORIGINAL_UNICAST;
  out.writeUInt16BE(out.length, 2);
  npdu.copy(out, 4);
  apdu.copy(out, 4 + npdu.length);
  return out;
}

export function bvlcResult(code: number): Buffer {
  return Buffer.from([BVLL_TYPE, BVLC.RESULT, 0x00, 0x06, code >> 8, code & 0xff]);
}

export function registerForeignDevice(ttlSeconds: number): Buffer {
  return Buffer.from([BVLL_TYPE, BVLC.REGISTER_FOREIGN_DEVICE, 0x00, 0x06, ttlSeconds >> 8, ttlSeconds & 0xff]);
}

/** A broadcast sent through the BBMD we are registered with. */
export function distributeBroadcast(apdu: Buffer): Buffer {
  const framed = frame(apdu);
  framed[1] = BVLC.DISTRIBUTE_BROADCAST;
  return framed;
}

export function simpleAck(invokeId: number, service: number): Buffer {
  return Buffer.from([PDU.SIMPLE_ACK << 4, invokeId, service]);
}

export function complexAck(invokeId: number, service: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([PDU.COMPLEX_ACK << 4, invokeId, service]), payload]);
}

export function errorPdu(invokeId: number, service: number, errorClass: number, errorCode: number): Buffer {
  const buf = scratch(32);
  buf.buffer[0] = PDU.ERROR << 4;
  buf.buffer[1] = invokeId;
  buf.buffer[2] = service;
  buf.offset = 3;
  asn1.encodeApplicationEnumerated(buf, errorClass);
  asn1.encodeApplicationEnumerated(buf, errorCode);
  return Buffer.from(buf.buffer.subarray(0, buf.offset));
}

export function rejectPdu(invokeId: number, reason: number): Buffer {
  return Buffer.from([PDU.REJECT << 4, invokeId, reason]);
}

/** An Abort sent by the server (SRV bit set). */
export function abortPdu(invokeId: number, reason: number): Buffer {
  return Buffer.from([(PDU.ABORT << 4) | 0x01, invokeId, reason]);
}

export function unconfirmedRequest(service: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([PDU.UNCONFIRMED << 4, service]), payload]);
}

export function confirmedRequest(invokeId: number, service: number, payload: Buffer): Buffer {
  // not segmented, max segments unspecified, max APDU 1476
  return Buffer.concat([Buffer.from([PDU.CONFIRMED << 4, 0x05, invokeId, service]), payload]);
}
