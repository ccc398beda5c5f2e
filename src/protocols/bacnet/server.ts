/**
 * The BACnet/IP application layer of our device: answers Who-Is/Who-Has, ReadProperty, ReadPropertyMultiple,
 * WriteProperty and SubscribeCOV from one snapshot per request, and sends COV notifications from snapshot deltas.
 * Transport (the UDP socket) is injected so tests and benches can drive it directly.
 *
 * Guarantees: every confirmed request gets exactly one reply (ack, Error, Reject or Abort) unless it is so broken
 * that no invoke id can be read; replies never exceed the client's max APDU (too large → Abort
 * segmentation-not-supported, this device does not segment); nothing received can throw out of `receive`.
 */

import * as asn1 from "@bacnet-js/client/dist/lib/asn1.js";
import {
  AbortReason,
  ApplicationTag,
  ConfirmedServiceChoice as CS,
  ErrorClass,
  ErrorCode,
  ObjectType,
  PropertyIdentifier as P,
  RejectReason,
  Segmentation,
  UnconfirmedServiceChoice as US,
} from "@bacnet-js/client/dist/lib/enum.js";
import {
  ReadProperty,
  ReadPropertyMultiple,
  SubscribeCov,
  WhoHas,
  WhoIs,
  WriteProperty,
} from "@bacnet-js/client/dist/lib/services/index.js";
import { z } from "zod";
import { addressMatcher } from "../../core/config/address-list.js";
import type { ModelDelta, PlantSnapshot } from "../../core/model.js";
import {
  type ApduFrame,
  abortPdu,
  bvlcResult,
  complexAck,
  confirmedRequest,
  decodeConfirmedHeader,
  decodeDatagram,
  type EncodeBuffer,
  encodeValue,
  errorPdu,
  frame,
  PDU,
  type Peer,
  type RoutedAddress,
  rejectPdu,
  scratch,
  simpleAck,
  unconfirmedRequest,
} from "./codec.js";
import {
  type AppValue,
  ARRAY_ALL,
  type DeviceModel,
  MAX_APDU,
  type PropertyError,
  UNKNOWN_OBJECT,
} from "./device-model.js";
import { type BacnetObject, objectKey } from "./mapping.js";

export interface ServerIo {
  send(datagram: Buffer, to: Peer): void;
  /** Local broadcast of an unconfirmed request; absent when broadcasting is off (loopback binds). */
  broadcast?(apdu: Buffer): void;
  snapshot(): PlantSnapshot;
  /** Runs a relay output write; resolves to undefined on success, else the command's error code (E_FORBIDDEN …). */
  writeOutput(stringId: number, which: "load" | "charge", closed: boolean, from: Peer): Promise<string | undefined>;
  /** Counts events for health (requests, errors, rejects, aborts, drops, cov-notifications). */
  count(counter: string): void;
  debug(message: string, detail?: object): void;
  now(): number;
}

export interface ServerOptions {
  readonly writes: { readonly enabled: boolean; readonly allow: readonly string[] };
  readonly cov: { readonly defaultLifetimeMs: number; readonly maxSubscriptions: number };
}

interface Subscription {
  readonly key: string;
  readonly peer: Peer;
  readonly route?: RoutedAddress;
  readonly processId: number;
  readonly object: BacnetObject;
  readonly confirmed: boolean;
  /** ms since epoch; Infinity for indefinite. */
  expiresAt: number;
  lastValue: number;
  lastFault: boolean;
}

const objectIdSchema = z.object({
  type: z.number().int().min(0).max(1023),
  instance: z.number().int().min(0).max(0x3fffff),
});
const propertyRefSchema = z.object({ id: z.number().int().min(0), index: z.number().int().min(0) });
const readPropertySchema = z.object({ objectId: objectIdSchema, property: propertyRefSchema });
const rpmSchema = z.object({
  properties: z.array(z.object({ objectId: objectIdSchema, properties: z.array(propertyRefSchema).min(1) })).min(1),
});
const subscribeSchema = z.object({
  subscriberProcessId: z.number().int().min(0).max(0xffffffff),
  monitoredObjectId: objectIdSchema,
  cancellationRequest: z.boolean(),
  issueConfirmedNotifications: z.boolean().optional(),
  lifetime: z.number().int().min(0).max(0xffffffff).optional(),
});
const writeSchema = z.object({
  objectId: objectIdSchema,
  value: z.object({
    property: propertyRefSchema,
    value: z.array(z.object({ type: z.number(), value: z.unknown() })).min(1),
    priority: z.number().optional(),
  }),
});
const whoIsSchema = z.object({ lowLimit: z.number().optional(), highLimit: z.number().optional() });
const whoHasSchema = z.object({
  lowLimit: z.number().optional(),
  highLimit: z.number().optional(),
  objectId: objectIdSchema.optional(),
  objectName: z.string().optional(),
});

/** A request we cannot parse: reply Reject with this reason. */
class RejectError extends Error {
  constructor(readonly reason: number) {
    super(`reject ${reason}`);
  }
}

/** A reply that does not fit the client's max APDU. */
class TooLargeError extends Error {}

function decodeWith<T>(schema: z.ZodType<T>, decode: () => unknown): T {
  let raw: unknown;
  try {
    raw = decode();
  } catch {
    throw new RejectError(RejectReason.INVALID_TAG);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new RejectError(RejectReason.INVALID_TAG);
  return parsed.data;
}

/** Confirmed services that exist in BACnet but this device does not execute → Reject unrecognized-service. */
const SUPPORTED_CONFIRMED = new Set<number>([
  CS.READ_PROPERTY,
  CS.READ_PROPERTY_MULTIPLE,
  CS.WRITE_PROPERTY,
  CS.SUBSCRIBE_COV,
]);

export class BacnetServer {
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly subsByObject = new Map<number, Set<Subscription>>();
  private invokeId = 0;
  private writeAllowed: ((address: string) => boolean) | undefined;

  constructor(
    private readonly model: DeviceModel,
    private readonly io: ServerIo,
    private readonly options: ServerOptions,
  ) {}

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** Handles one datagram; never throws. */
  async receive(msg: Buffer, from: Peer): Promise<void> {
    try {
      const inbound = decodeDatagram(msg, from);
      if (inbound.kind === "drop") {
        this.io.count("dropped");
        this.io.debug("dropped datagram", { from, reason: inbound.reason });
        return;
      }
      if (inbound.kind === "bvlc-nak") {
        this.io.send(bvlcResult(inbound.code), inbound.replyTo);
        return;
      }
      if (inbound.kind === "bvlc-result") return;
      await this.handleApdu(inbound);
    } catch (error) {
      // A bug in a handler must not take the device down; count it and go on.
      this.io.count("internal-errors");
      this.io.debug("request failed", { from, err: (error as Error).message });
    }
  }

  private reply(request: ApduFrame, apdu: Buffer): void {
    this.io.send(frame(apdu, request.source ? { destination: request.source } : {}), request.replyTo);
  }

  private async handleApdu(request: ApduFrame): Promise<void> {
    const apdu = request.apdu;
    const type = (apdu[0] ?? 0) >> 4;
    if (type === PDU.UNCONFIRMED) {
      if (apdu.length < 2) return;
      this.handleUnconfirmed(request, apdu[1] ?? 0, apdu.subarray(2));
      return;
    }
    if (type !== PDU.CONFIRMED) return; // acks, errors and aborts answer our own notifications; nothing to do
    const header = decodeConfirmedHeader(apdu);
    if (!header) {
      if (apdu.length >= 3) this.sendReject(request, apdu[2] ?? 0, RejectReason.MISSING_REQUIRED_PARAMETER);
      else this.io.count("dropped");
      return;
    }
    this.io.count("requests");
    if (apdu.length > MAX_APDU) {
      // Larger than the Max_APDU_Length_Accepted we announce: refuse without parsing it.
      this.io.count("aborts");
      this.reply(request, abortPdu(header.invokeId, AbortReason.APDU_TOO_LONG));
      return;
    }
    if (header.segmented) {
      this.io.count("aborts");
      this.reply(request, abortPdu(header.invokeId, AbortReason.SEGMENTATION_NOT_SUPPORTED));
      return;
    }
    if (!SUPPORTED_CONFIRMED.has(header.service)) {
      this.sendReject(request, header.invokeId, RejectReason.UNRECOGNIZED_SERVICE);
      return;
    }
    const payload = apdu.subarray(header.payloadOffset);
    const limit = Math.min(header.maxApdu, MAX_APDU);
    try {
      const answer = await this.executeConfirmed(header.service, header.invokeId, payload, request, limit);
      if (answer.length > limit) throw new TooLargeError();
      this.reply(request, answer);
    } catch (error) {
      if (error instanceof RejectError) this.sendReject(request, header.invokeId, error.reason);
      else if (error instanceof TooLargeError) {
        this.io.count("aborts");
        this.reply(request, abortPdu(header.invokeId, AbortReason.SEGMENTATION_NOT_SUPPORTED));
      } else throw error;
    }
  }

  private sendReject(request: ApduFrame, invokeId: number, reason: number): void {
    this.io.count("rejects");
    this.reply(request, rejectPdu(invokeId, reason));
  }

  private errorReply(invokeId: number, service: number, e: PropertyError): Buffer {
    this.io.count("errors");
    return errorPdu(invokeId, service, e.errorClass, e.errorCode);
  }

  private async executeConfirmed(
    service: number,
    invokeId: number,
    payload: Buffer,
    request: ApduFrame,
    limit: number,
  ): Promise<Buffer> {
    switch (service) {
      case CS.READ_PROPERTY:
        return this.readProperty(invokeId, payload, limit);
      case CS.READ_PROPERTY_MULTIPLE:
        return this.readPropertyMultiple(invokeId, payload, limit);
      case CS.WRITE_PROPERTY:
        return this.writeProperty(invokeId, payload, request.replyTo);
      default:
        return this.subscribeCov(invokeId, payload, request);
    }
  }

  // --- ReadProperty / ReadPropertyMultiple ---------------------------------------------------------------------

  private readProperty(invokeId: number, payload: Buffer, limit: number): Buffer {
    const req = decodeWith(readPropertySchema, () => ReadProperty.decode(payload, 0, payload.length));
    const object = this.model.find(req.objectId.type, req.objectId.instance);
    if (!object) return this.errorReply(invokeId, CS.READ_PROPERTY, UNKNOWN_OBJECT);
    this.guardArraySize(object, req.property.id, req.property.index, limit);
    const result = this.model.read(object, req.property.id, req.property.index, this.io.snapshot());
    if (!result.ok) return this.errorReply(invokeId, CS.READ_PROPERTY, result.error);
    const buf = scratch();
    asn1.encodeContextObjectId(buf, 0, object.type, object.instance);
    asn1.encodeContextEnumerated(buf, 1, req.property.id);
    if (req.property.index !== ARRAY_ALL) asn1.encodeContextUnsigned(buf, 2, req.property.index);
    asn1.encodeOpeningTag(buf, 3);
    for (const v of result.values) encodeValue(buf, v);
    asn1.encodeClosingTag(buf, 3);
    return complexAck(invokeId, CS.READ_PROPERTY, taken(buf, limit));
  }

  /** Refuses before building a list that cannot fit (Object_List of a large plant). */
  private guardArraySize(object: BacnetObject, property: number, index: number, limit: number): void {
    if (index !== ARRAY_ALL) return;
    const n = this.model.arrayLength(object, property);
    if (n !== undefined && n * 5 > limit) throw new TooLargeError();
  }

  private readPropertyMultiple(invokeId: number, payload: Buffer, limit: number): Buffer {
    const req = decodeWith(rpmSchema, () => ReadPropertyMultiple.decode(payload, 0, payload.length));
    const snapshot = this.io.snapshot();
    const buf = scratch();
    for (const spec of req.properties) {
      const object = this.model.find(spec.objectId.type, spec.objectId.instance);
      asn1.encodeContextObjectId(buf, 0, spec.objectId.type, spec.objectId.instance);
      asn1.encodeOpeningTag(buf, 1);
      for (const ref of spec.properties) {
        if (!object) {
          encodePropertyError(buf, ref.id, ref.index, UNKNOWN_OBJECT);
          continue;
        }
        const expanded =
          ref.id === P.ALL || ref.id === P.REQUIRED || ref.id === P.OPTIONAL
            ? this.model.propertiesOf(
                object,
                ref.id === P.ALL ? "all" : ref.id === P.REQUIRED ? "required" : "optional",
              )
            : undefined;
        for (const id of expanded ?? [ref.id]) {
          const index = expanded ? ARRAY_ALL : ref.index;
          this.guardArraySize(object, id, index, limit);
          const result = this.model.read(object, id, index, snapshot);
          asn1.encodeContextEnumerated(buf, 2, id);
          if (index !== ARRAY_ALL) asn1.encodeContextUnsigned(buf, 3, index);
          if (result.ok) {
            asn1.encodeOpeningTag(buf, 4);
            for (const v of result.values) encodeValue(buf, v);
            asn1.encodeClosingTag(buf, 4);
          } else {
            asn1.encodeOpeningTag(buf, 5);
            asn1.encodeApplicationEnumerated(buf, result.error.errorClass);
            asn1.encodeApplicationEnumerated(buf, result.error.errorCode);
            asn1.encodeClosingTag(buf, 5);
          }
          if (buf.offset > limit) throw new TooLargeError();
        }
      }
      asn1.encodeClosingTag(buf, 1);
    }
    return complexAck(invokeId, CS.READ_PROPERTY_MULTIPLE, taken(buf, limit));
  }

  // --- WriteProperty -------------------------------------------------------------------------------------------

  private async writeProperty(invokeId: number, payload: Buffer, from: Peer): Promise<Buffer> {
    const req = decodeWith(writeSchema, () => WriteProperty.decode(payload, 0, payload.length));
    const object = this.model.find(req.objectId.type, req.objectId.instance);
    const denied = { errorClass: ErrorClass.PROPERTY, errorCode: ErrorCode.WRITE_ACCESS_DENIED };
    if (!object) return this.errorReply(invokeId, CS.WRITE_PROPERTY, UNKNOWN_OBJECT);
    if (!this.model.propertiesOf(object, "all").includes(req.value.property.id))
      return this.errorReply(invokeId, CS.WRITE_PROPERTY, {
        errorClass: ErrorClass.PROPERTY,
        errorCode: ErrorCode.UNKNOWN_PROPERTY,
      });
    if (req.value.property.id !== P.PRESENT_VALUE || !object.output)
      return this.errorReply(invokeId, CS.WRITE_PROPERTY, denied);
    this.writeAllowed ??= addressMatcher(this.options.writes.allow);
    if (!this.options.writes.enabled || !this.writeAllowed(from.address)) {
      this.io.count("writes-refused");
      return this.errorReply(invokeId, CS.WRITE_PROPERTY, denied);
    }
    const [value] = req.value.value;
    if (value?.type !== ApplicationTag.ENUMERATED)
      return this.errorReply(invokeId, CS.WRITE_PROPERTY, {
        errorClass: ErrorClass.PROPERTY,
        errorCode: ErrorCode.INVALID_DATA_TYPE,
      });
    if (value.value !== 0 && value.value !== 1)
      return this.errorReply(invokeId, CS.WRITE_PROPERTY, {
        errorClass: ErrorClass.PROPERTY,
        errorCode: ErrorCode.VALUE_OUT_OF_RANGE,
      });
    const failure = await this.io.writeOutput(object.output.stringId, object.output.which, value.value === 1, from);
    if (failure === "E_FORBIDDEN") return this.errorReply(invokeId, CS.WRITE_PROPERTY, denied);
    if (failure)
      return this.errorReply(invokeId, CS.WRITE_PROPERTY, {
        errorClass: ErrorClass.DEVICE,
        errorCode: ErrorCode.OPERATIONAL_PROBLEM,
      });
    return simpleAck(invokeId, CS.WRITE_PROPERTY);
  }

  // --- Who-Is / Who-Has ----------------------------------------------------------------------------------------

  private handleUnconfirmed(request: ApduFrame, service: number, payload: Buffer): void {
    if (service === US.WHO_IS) {
      const limits = safeDecode(whoIsSchema, () => WhoIs.decode(payload, 0, payload.length));
      if (!limits) {
        this.io.count("dropped");
        return;
      }
      const id = this.model.device.instance;
      if (limits.lowLimit !== undefined && limits.highLimit !== undefined)
        if (id < limits.lowLimit || id > limits.highLimit) return;
      this.answerUnconfirmed(request, unconfirmedRequest(US.I_AM, this.iAmPayload()));
      return;
    }
    if (service === US.WHO_HAS) {
      const q = safeDecode(whoHasSchema, () => WhoHas.decode(payload, 0, payload.length));
      if (!q) {
        this.io.count("dropped");
        return;
      }
      const id = this.model.device.instance;
      if (q.lowLimit !== undefined && q.highLimit !== undefined && (id < q.lowLimit || id > q.highLimit)) return;
      const object = q.objectId
        ? this.model.find(q.objectId.type, q.objectId.instance)
        : q.objectName !== undefined
          ? this.model.findByName(q.objectName)
          : undefined;
      if (!object) return;
      const buf = scratch(512);
      asn1.encodeApplicationObjectId(buf, ObjectType.DEVICE, id);
      asn1.encodeApplicationObjectId(buf, object.type, object.instance);
      asn1.encodeApplicationCharacterString(buf, object.name);
      this.answerUnconfirmed(request, unconfirmedRequest(US.I_HAVE, taken(buf, MAX_APDU)));
    }
  }

  /** I-Am/I-Have go straight back to the asker, and also to the local broadcast for a broadcast question. */
  private answerUnconfirmed(request: ApduFrame, apdu: Buffer): void {
    this.reply(request, apdu);
    if (request.broadcast && this.io.broadcast) this.io.broadcast(apdu);
  }

  /** Broadcasts an unsolicited I-Am (at start-up), when broadcasting is possible. */
  announce(): void {
    this.io.broadcast?.(unconfirmedRequest(US.I_AM, this.iAmPayload()));
  }

  iAmPayload(): Buffer {
    const buf = scratch(64);
    asn1.encodeApplicationObjectId(buf, ObjectType.DEVICE, this.model.device.instance);
    asn1.encodeApplicationUnsigned(buf, MAX_APDU);
    asn1.encodeApplicationEnumerated(buf, Segmentation.NO_SEGMENTATION);
    asn1.encodeApplicationUnsigned(buf, this.model.vendorId);
    return taken(buf, MAX_APDU);
  }

  // --- COV -----------------------------------------------------------------------------------------------------

  private subscribeCov(invokeId: number, payload: Buffer, request: ApduFrame): Buffer {
    const req = decodeWith(subscribeSchema, () => SubscribeCov.decode(payload, 0, payload.length));
    const object = this.model.find(req.monitoredObjectId.type, req.monitoredObjectId.instance);
    if (!object) return this.errorReply(invokeId, CS.SUBSCRIBE_COV, UNKNOWN_OBJECT);
    if (object.kind === "device" || object.kind === "view")
      return this.errorReply(invokeId, CS.SUBSCRIBE_COV, {
        errorClass: ErrorClass.OBJECT,
        errorCode: ErrorCode.OPTIONAL_FUNCTIONALITY_NOT_SUPPORTED,
      });
    const peer = request.replyTo;
    const route = request.source ? `${request.source.net}/${request.source.adr.toString("hex")}` : "";
    const key = `${peer.address}:${peer.port}${route}|${req.subscriberProcessId}|${objectKey(object.type, object.instance)}`;
    if (req.cancellationRequest) {
      this.removeSubscription(key);
      return simpleAck(invokeId, CS.SUBSCRIBE_COV);
    }
    const existing = this.subscriptions.get(key);
    if (!existing && this.subscriptions.size >= this.options.cov.maxSubscriptions)
      return this.errorReply(invokeId, CS.SUBSCRIBE_COV, {
        errorClass: ErrorClass.RESOURCES,
        errorCode: ErrorCode.NO_SPACE_TO_ADD_LIST_ELEMENT,
      });
    const lifetimeMs = req.lifetime ? req.lifetime * 1000 : this.options.cov.defaultLifetimeMs;
    const sub: Subscription = {
      key,
      peer,
      ...(request.source ? { route: request.source } : {}),
      processId: req.subscriberProcessId,
      object,
      confirmed: req.issueConfirmedNotifications ?? false,
      expiresAt: lifetimeMs > 0 ? this.io.now() + lifetimeMs : Number.POSITIVE_INFINITY,
      lastValue: Number.NaN,
      lastFault: false,
    };
    if (existing) this.removeSubscription(key);
    this.subscriptions.set(key, sub);
    let set = this.subsByObject.get(objectKey(object.type, object.instance));
    if (!set) {
      set = new Set();
      this.subsByObject.set(objectKey(object.type, object.instance), set);
    }
    set.add(sub);
    // The initial notification follows the acknowledgement (clause 13.14.1).
    setImmediate(() => this.notify(sub, this.io.snapshot()));
    return simpleAck(invokeId, CS.SUBSCRIBE_COV);
  }

  private removeSubscription(key: string): void {
    const sub = this.subscriptions.get(key);
    if (!sub) return;
    this.subscriptions.delete(key);
    const objectId = objectKey(sub.object.type, sub.object.instance);
    const set = this.subsByObject.get(objectId);
    set?.delete(sub);
    if (set?.size === 0) this.subsByObject.delete(objectId);
  }

  /** Called for every committed snapshot: notifies subscribers whose object changed beyond its increment. */
  onSnapshot(snapshot: PlantSnapshot, delta: ModelDelta): void {
    if (this.subscriptions.size === 0) return;
    const now = this.io.now();
    for (const sub of [...this.subscriptions.values()]) if (sub.expiresAt <= now) this.removeSubscription(sub.key);
    // Subscribed objects touched by this delta, by objectKey (computed from point and row, no index kept).
    const touched = new Set<number>();
    for (const change of delta.changes) {
      const key = this.model.keyOfPoint(change.point, change.row);
      if (key !== undefined && this.subsByObject.get(key)?.size) touched.add(key);
    }
    if (delta.alarmsChanged)
      for (const sub of this.subscriptions.values())
        if (sub.object.kind === "alarm" || sub.object.kind === "block-alarm")
          touched.add(objectKey(sub.object.type, sub.object.instance));
    for (const key of touched) {
      const subs = this.subsByObject.get(key);
      const object = subs?.values().next().value?.object;
      if (!subs || !object) continue;
      const state = this.model.state(object, snapshot);
      const increment = object.covIncrement ?? 0;
      for (const sub of subs) {
        const moved =
          object.type === ObjectType.ANALOG_INPUT
            ? Number.isNaN(state.value) !== Number.isNaN(sub.lastValue) ||
              Math.abs(state.value - sub.lastValue) >= increment
            : state.value !== sub.lastValue;
        if (moved || state.fault !== sub.lastFault) this.notify(sub, snapshot);
      }
    }
  }

  private notify(sub: Subscription, snapshot: PlantSnapshot): void {
    if (!this.subscriptions.has(sub.key)) return;
    const state = this.model.state(sub.object, snapshot);
    sub.lastValue = state.value;
    sub.lastFault = state.fault;
    const remaining = Number.isFinite(sub.expiresAt)
      ? Math.max(0, Math.ceil((sub.expiresAt - this.io.now()) / 1000))
      : 0;
    const buf = scratch(256);
    asn1.encodeContextUnsigned(buf, 0, sub.processId);
    asn1.encodeContextObjectId(buf, 1, ObjectType.DEVICE, this.model.device.instance);
    asn1.encodeContextObjectId(buf, 2, sub.object.type, sub.object.instance);
    asn1.encodeContextUnsigned(buf, 3, remaining);
    asn1.encodeOpeningTag(buf, 4);
    const values: [number, AppValue][] = [
      [P.PRESENT_VALUE, this.model.presentValue(sub.object, state)],
      [P.STATUS_FLAGS, this.model.statusFlags(state)],
    ];
    for (const [id, value] of values) {
      asn1.encodeContextEnumerated(buf, 0, id);
      asn1.encodeOpeningTag(buf, 2);
      encodeValue(buf, value);
      asn1.encodeClosingTag(buf, 2);
    }
    asn1.encodeClosingTag(buf, 4);
    const payload = taken(buf, MAX_APDU);
    const apdu = sub.confirmed
      ? confirmedRequest(this.nextInvokeId(), CS.CONFIRMED_COV_NOTIFICATION, payload)
      : unconfirmedRequest(US.UNCONFIRMED_COV_NOTIFICATION, payload);
    this.io.count("cov-notifications");
    this.io.send(
      frame(apdu, { expectingReply: sub.confirmed, ...(sub.route ? { destination: sub.route } : {}) }),
      sub.peer,
    );
  }

  private nextInvokeId(): number {
    this.invokeId = (this.invokeId + 1) & 0xff;
    return this.invokeId;
  }
}

function encodePropertyError(buf: EncodeBuffer, id: number, index: number, e: PropertyError): void {
  asn1.encodeContextEnumerated(buf, 2, id);
  if (index !== ARRAY_ALL) asn1.encodeContextUnsigned(buf, 3, index);
  asn1.encodeOpeningTag(buf, 5);
  asn1.encodeApplicationEnumerated(buf, e.errorClass);
  asn1.encodeApplicationEnumerated(buf, e.errorCode);
  asn1.encodeClosingTag(buf, 5);
}

/** The encoded bytes, copied out of the scratch buffer; too large for `limit` (or the scratch) → TooLargeError. */
function taken(buf: EncodeBuffer, limit: number): Buffer {
  if (buf.offset > limit || buf.offset > buf.buffer.length) throw new TooLargeError();
  return Buffer.from(buf.buffer.subarray(0, buf.offset));
}

function safeDecode<T>(schema: z.ZodType<T>, decode: () => unknown): T | undefined {
  try {
    const parsed = schema.safeParse(decode());
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
