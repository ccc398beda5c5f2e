/**
 * The SNMP command responder: decodes v1/v2c/v3 messages with a guarded BER reader, applies community / USM
 * security, answers GET, GETNEXT, GETBULK and SET from the MibView, and encodes the response once.
 *
 * Every request field is validated: negative or huge GETBULK fields are clamped (RFC 3416 4.2.3), malformed
 * packets are counted and dropped, and a v3 message with a wrong key gets the standard usmStatsWrongDigests
 * Report instead of silence.
 */
import { addressMatcher } from "../../core/config/address-list.js";
import type { PlantSnapshot } from "../../core/model.js";
import {
  BerError,
  BerWriter,
  END_OF_MIB_VIEW,
  encodeInteger,
  encodeOctetString,
  encodeOid,
  encodeUnsigned,
  expect,
  header,
  NO_SUCH_INSTANCE,
  NO_SUCH_OBJECT,
  readInteger,
  readOid,
  readTlv,
  TAG,
  type Tlv,
  tlv,
} from "./ber.js";
import type { SnmpConfig } from "./config-schema.js";
import { type AgentCounters, type MibView, type ThresholdAccess, USM_STATS } from "./mib-view.js";
import { decrypt, digest, encrypt, LEVEL_RANK, type SaltCounter, type UsmUser, verifyDigest } from "./usm.js";

const ERR = {
  noError: 0,
  tooBig: 1,
  noSuchName: 2,
  badValue: 3,
  genErr: 5,
  noAccess: 6,
  wrongType: 7,
  wrongValue: 10,
  commitFailed: 14,
  authorizationError: 16,
  notWritable: 17,
} as const;

/** Largest UDP payload we send. */
const MAX_DATAGRAM = 65507;
/** Room kept for the v3 header, security parameters and cipher padding. */
const V3_OVERHEAD = 256;
/** Room in front of a response PDU in the writer, where the message (v2c) or scoped PDU (v3) header goes. */
const HEADROOM = 1024;

/** Room left in a GETBULK response: bytes and varbinds. */
interface Budget {
  size: number;
  added: number;
  readonly limit: number;
  readonly cap: number;
}

/** Turns a response PDU into the datagram to send; called while the PDU is still in the response writer. */
type Frame = (pdu: Buffer) => Buffer;

const EMPTY_OCTETS = encodeOctetString("");
const EMPTY: Buffer = Buffer.alloc(0);
const ZEROS = Buffer.alloc(64);
/** msgFlags TLVs by security level bits (auth 1, priv 2); reportable is never set on a response. */
const FLAGS = [0, 1, 2, 3].map((f) => Buffer.from([TAG.octetString, 1, f]));

interface RequestVarbind {
  readonly oid: number[];
  /** The value TLV (SET), as positions into the PDU buffer. */
  readonly value: Tlv;
  /** Raw bytes of the whole varbind. */
  readonly raw: Buffer;
}

interface Pdu {
  readonly type: number;
  readonly requestId: number;
  /** error-status, or non-repeaters for GETBULK. */
  readonly field1: number;
  /** error-index, or max-repetitions for GETBULK. */
  readonly field2: number;
  readonly varbinds: readonly RequestVarbind[];
  readonly buffer: Buffer;
}

/** Who is asking and what they may do. */
interface Access {
  readonly version: 0 | 1 | 3;
  readonly user?: UsmUser;
  /** Writes allowed (v3 admin at authPriv). */
  readonly write: boolean;
}

export type WriteAudit = (user: string, remote: string, detail: Record<string, string>) => void;

export interface AgentDeps {
  readonly config: SnmpConfig;
  readonly view: MibView;
  readonly snapshot: () => PlantSnapshot;
  readonly engineId: Buffer;
  readonly engineBoots: number;
  readonly engineTime: () => number;
  readonly users: readonly UsmUser[];
  readonly counters: AgentCounters;
  readonly salt: SaltCounter;
  readonly thresholds?: ThresholdAccess;
  readonly audit: WriteAudit;
}

/** Source restriction of a community or user: empty = any source. */
function sourceFilter(sources: readonly string[]): (address: string) => boolean {
  if (sources.length === 0) return () => true;
  return addressMatcher(sources);
}

function parsePdu(buf: Buffer, pos: number, limit: number): Pdu {
  const pdu = readTlv(buf, pos, limit);
  if (pdu.tag < 0xa0 || pdu.tag > 0xa8) throw new BerError("not a PDU");
  if (pdu.tag === TAG.trapV1) throw new BerError("v1 trap PDU sent to the agent");
  const id = expect(buf, pdu.start, pdu.end, TAG.integer);
  const f1 = expect(buf, id.end, pdu.end, TAG.integer);
  const f2 = expect(buf, f1.end, pdu.end, TAG.integer);
  const list = expect(buf, f2.end, pdu.end, TAG.sequence);
  const varbinds: RequestVarbind[] = [];
  let at = list.start;
  while (at < list.end) {
    const vb = expect(buf, at, list.end, TAG.sequence);
    const name = expect(buf, vb.start, vb.end, TAG.oid);
    const value = readTlv(buf, name.end, vb.end);
    if (value.end !== vb.end) throw new BerError("trailing bytes in varbind");
    varbinds.push({ oid: readOid(buf, name), value, raw: buf.subarray(at, vb.end) });
    at = vb.end;
    if (varbinds.length > 1024) throw new BerError("too many varbinds");
  }
  return {
    type: pdu.tag,
    requestId: readInteger(buf, id),
    field1: readInteger(buf, f1),
    field2: readInteger(buf, f2),
    varbinds,
    buffer: buf,
  };
}

function varbind(oid: readonly number[], value: Buffer): Buffer {
  return tlv(TAG.sequence, encodeOid(oid), value);
}

export class SnmpAgent {
  private readonly communities: { name: string; versions: Set<string>; allowed: (a: string) => boolean }[];
  private readonly users = new Map<string, { user: UsmUser; allowed: (a: string) => boolean }>();
  /** Response PDUs of GET/GETNEXT/GETBULK are encoded into this one buffer, then framed and copied out once. */
  private readonly writer = new BerWriter(MAX_DATAGRAM + 2 * HEADROOM);
  /** v3 messages are assembled here around the (encrypted) scoped PDU, then copied out. */
  private readonly messageWriter = new BerWriter(MAX_DATAGRAM + 2 * HEADROOM);
  private readonly engineIdTlv: Buffer;

  constructor(private readonly deps: AgentDeps) {
    this.communities = deps.config.communities.map((c) => ({
      name: c.name,
      versions: new Set(c.versions),
      allowed: sourceFilter(c.sources),
    }));
    for (const u of deps.users) this.users.set(u.name, { user: u, allowed: sourceFilter(u.config.sources) });
    this.engineIdTlv = encodeOctetString(deps.engineId);
  }

  /**
   * Handles one datagram: the reply, or undefined to stay silent. Synchronous except for a SET, which waits for the
   * configuration write (then a promise). Never throws, never rejects.
   */
  handle(packet: Buffer, remote: string): Buffer | undefined | Promise<Buffer | undefined> {
    this.deps.counters.inPkts++;
    try {
      const reply = this.dispatch(packet, remote);
      if (reply instanceof Promise)
        return reply.then(
          (r) => this.sent(r),
          (error: unknown) => this.failed(error),
        );
      return this.sent(reply);
    } catch (error) {
      return this.failed(error);
    }
  }

  private sent(reply: Buffer | undefined): Buffer | undefined {
    if (reply) this.deps.counters.outPkts++;
    return reply;
  }

  private failed(error: unknown): undefined {
    const c = this.deps.counters;
    if (error instanceof BerError || error instanceof RangeError) c.inAsnParseErrs++;
    else c.silentDrops++;
    return undefined;
  }

  private dispatch(packet: Buffer, remote: string): Buffer | undefined | Promise<Buffer | undefined> {
    const msg = expect(packet, 0, packet.length, TAG.sequence);
    const versionTlv = expect(packet, msg.start, msg.end, TAG.integer);
    const version = readInteger(packet, versionTlv);
    if (version === 3) return this.handleV3(packet, msg, versionTlv.end, remote);
    if (version !== 0 && version !== 1) {
      this.deps.counters.inBadVersions++;
      return undefined;
    }
    const communityTlv = expect(packet, versionTlv.end, msg.end, TAG.octetString);
    const community = packet.toString("latin1", communityTlv.start, communityTlv.end);
    const pdu = parsePdu(packet, communityTlv.end, msg.end);
    const versionName = version === 0 ? "v1" : "v2c";
    const match = this.communities.find((x) => x.name === community);
    if (!match?.versions.has(versionName) || !match.allowed(remote)) {
      this.deps.counters.inBadCommunityNames++;
      return undefined;
    }
    if (version === 0 && pdu.type === TAG.getBulkRequest) throw new BerError("GETBULK in SNMPv1");
    const limit = MAX_DATAGRAM - 32 - communityTlv.end + communityTlv.start;
    const head = [encodeInteger(version), encodeOctetString(packet.subarray(communityTlv.start, communityTlv.end))];
    return this.process(pdu, { version, write: false }, limit, remote, community, (body) =>
      Buffer.from(this.wrap(TAG.sequence, head, body)),
    );
  }

  /**
   * TLV(tag, parts..., body). When `body` was just written into the response writer, the header and parts go into
   * the headroom in front of it and the result is a view of the writer (valid until the next response); otherwise
   * a new buffer.
   */
  private wrap(tag: number, parts: readonly Buffer[], body: Buffer): Buffer {
    let len = body.length;
    for (const p of parts) len += p.length;
    const head = header(tag, len);
    const before = head.length + len - body.length;
    const buf = this.writer.buf;
    const offset = body.byteOffset - buf.byteOffset;
    if (body.buffer !== buf.buffer || offset < before || offset > buf.length) return tlv(tag, ...parts, body);
    let at = offset - before;
    const start = at;
    buf.set(head, at);
    at += head.length;
    for (const p of parts) {
      buf.set(p, at);
      at += p.length;
    }
    return buf.subarray(start, offset + body.length);
  }

  // --- PDU processing ---------------------------------------------------------------------------------------------

  /** Answers synchronously except for SET (which waits for the configuration write). */
  private process(
    pdu: Pdu,
    access: Access,
    sizeLimit: number,
    remote: string,
    who: string,
    frame: Frame,
  ): Buffer | undefined | Promise<Buffer | undefined> {
    switch (pdu.type) {
      case TAG.getRequest:
        return frame(this.get(pdu, access, sizeLimit));
      case TAG.getNextRequest:
        return frame(this.getNext(pdu, access, sizeLimit));
      case TAG.getBulkRequest:
        return frame(this.getBulk(pdu, sizeLimit));
      case TAG.setRequest:
        return this.set(pdu, access, remote, who).then(frame);
      default:
        this.deps.counters.unknownPduHandlers++;
        return undefined;
    }
  }

  private response(requestId: number, status: number, index: number, varbinds: readonly Buffer[]): Buffer {
    return tlv(
      TAG.response,
      encodeInteger(requestId),
      encodeInteger(status),
      encodeInteger(index),
      tlv(TAG.sequence, ...varbinds),
    );
  }

  private errorResponse(pdu: Pdu, status: number, index: number): Buffer {
    return this.response(
      pdu.requestId,
      status,
      index,
      pdu.varbinds.map((v) => v.raw),
    );
  }

  /** Starts a response PDU in the writer; returns the mark of its varbind list. */
  private startResponse(requestId: number): { pdu: number; list: number } {
    const w = this.writer;
    w.pos = HEADROOM;
    const pdu = w.open(TAG.response);
    w.integer(requestId);
    w.integer(0);
    w.integer(0);
    return { pdu, list: w.open(TAG.sequence) };
  }

  /** Closes the response PDU; returns its bytes (a view of the writer, framed right away). */
  private endResponse(marks: { pdu: number; list: number }): Buffer {
    const w = this.writer;
    w.close(marks.list);
    w.close(marks.pdu);
    return w.buf.subarray(HEADROOM, w.pos);
  }

  private exception(oid: readonly number[], value: Buffer): void {
    const w = this.writer;
    const vb = w.open(TAG.sequence);
    w.oid(oid);
    w.bytes(value);
    w.close(vb);
  }

  private get(pdu: Pdu, access: Access, limit: number): Buffer {
    const snapshot = this.deps.snapshot();
    const view = this.deps.view.sync(snapshot);
    const w = this.writer;
    const marks = this.startResponse(pdu.requestId);
    for (let i = 0; i < pdu.varbinds.length; i++) {
      const oid = (pdu.varbinds[i] as RequestVarbind).oid;
      const at = view.find(oid);
      if (at >= 0) view.writeVarbind(w, at, snapshot);
      else if (access.version === 0) return this.errorResponse(pdu, ERR.noSuchName, i + 1);
      else this.exception(oid, view.isUnderObject(oid) ? NO_SUCH_INSTANCE : NO_SUCH_OBJECT);
    }
    if (32 + w.pos - marks.list > limit) return this.errorResponse(pdu, ERR.tooBig, 0);
    return this.endResponse(marks);
  }

  private getNext(pdu: Pdu, access: Access, limit: number): Buffer {
    const snapshot = this.deps.snapshot();
    const view = this.deps.view.sync(snapshot);
    const w = this.writer;
    const marks = this.startResponse(pdu.requestId);
    for (let i = 0; i < pdu.varbinds.length; i++) {
      const oid = (pdu.varbinds[i] as RequestVarbind).oid;
      const at = view.next(oid);
      if (at < view.size) view.writeVarbind(w, at, snapshot);
      else if (access.version === 0) return this.errorResponse(pdu, ERR.noSuchName, i + 1);
      else this.exception(oid, END_OF_MIB_VIEW);
    }
    if (32 + w.pos - marks.list > limit) return this.errorResponse(pdu, ERR.tooBig, 0);
    return this.endResponse(marks);
  }

  /** Keeps the varbind written since `from` when it fits the budget, else removes it. */
  private keep(from: number, budget: Budget): boolean {
    const w = this.writer;
    const length = w.pos - from;
    if (budget.size + length > budget.limit || budget.added >= budget.cap) {
      w.pos = from;
      return false;
    }
    budget.size += length;
    budget.added++;
    return true;
  }

  private getBulk(pdu: Pdu, limit: number): Buffer {
    const snapshot = this.deps.snapshot();
    const view = this.deps.view.sync(snapshot);
    const w = this.writer;
    const count = pdu.varbinds.length;
    // RFC 3416 4.2.3: negative fields count as zero; non-repeaters beyond the list cover the whole list.
    const nonRepeaters = Math.min(Math.max(pdu.field1, 0), count);
    const maxRepetitions = Math.min(Math.max(pdu.field2, 0), this.deps.config.maxRepetitions);
    const cap = this.deps.config.maxRepetitions;
    const marks = this.startResponse(pdu.requestId);
    const budget: Budget = { size: 48, added: 0, limit, cap };
    for (let i = 0; i < nonRepeaters; i++) {
      const oid = (pdu.varbinds[i] as RequestVarbind).oid;
      const at = view.next(oid);
      const from = w.pos;
      if (at < view.size) view.writeVarbind(w, at, snapshot);
      else this.exception(oid, END_OF_MIB_VIEW);
      if (!this.keep(from, budget)) return this.errorResponse(pdu, ERR.tooBig, 0);
    }
    const repeaters = count - nonRepeaters;
    if (repeaters > 0 && maxRepetitions > 0) {
      const first: number[] = [];
      const positions: number[] = [];
      for (let j = 0; j < repeaters; j++) {
        const p = view.next((pdu.varbinds[nonRepeaters + j] as RequestVarbind).oid);
        first.push(p);
        positions.push(p);
      }
      fill: for (let r = 0; r < maxRepetitions; r++) {
        let allEnded = true;
        for (let j = 0; j < repeaters; j++) {
          const p = positions[j] as number;
          const from = w.pos;
          if (p < view.size) {
            view.writeVarbind(w, p, snapshot);
            allEnded = false;
          } else {
            // endOfMibView carries the last name returned for this variable (or the requested one).
            const last =
              p > (first[j] as number) ? view.oidAt(p - 1) : (pdu.varbinds[nonRepeaters + j] as RequestVarbind).oid;
            this.exception(last, END_OF_MIB_VIEW);
          }
          if (!this.keep(from, budget)) break fill;
          if (p < view.size) positions[j] = p + 1;
        }
        if (allEnded) break;
      }
    }
    return this.endResponse(marks);
  }

  private async set(pdu: Pdu, access: Access, remote: string, who: string): Promise<Buffer> {
    if (!access.write) return this.errorResponse(pdu, access.version === 0 ? ERR.noSuchName : ERR.noAccess, 1);
    const snapshot = this.deps.snapshot();
    const view = this.deps.view.sync(snapshot);
    const thresholds = this.deps.thresholds;
    const writes: { index: number; value: number }[] = [];
    for (let i = 0; i < pdu.varbinds.length; i++) {
      const vb = pdu.varbinds[i] as RequestVarbind;
      const at = view.find(vb.oid);
      const writable = at >= 0 ? view.writableAt(at) : undefined;
      if (!writable || !thresholds)
        return this.errorResponse(pdu, at >= 0 || view.isUnderObject(vb.oid) ? ERR.notWritable : ERR.noAccess, i + 1);
      if (vb.value.tag !== TAG.integer) return this.errorResponse(pdu, ERR.wrongType, i + 1);
      const raw = readInteger(pdu.buffer, vb.value);
      if (raw < -2147483648 || raw > 2147483647) return this.errorResponse(pdu, ERR.wrongValue, i + 1);
      writes.push({ index: writable.thresholdIndex, value: raw / writable.scale });
    }
    for (let i = 0; i < writes.length; i++) {
      const w = writes[i] as { index: number; value: number };
      const result = await (thresholds as ThresholdAccess).write(w.index, w.value, who);
      this.deps.audit(who, remote, {
        protocol: "snmp",
        setting: String(w.index),
        value: String(w.value),
        outcome: result.ok ? "ok" : result.reason,
      });
      if (!result.ok) return this.errorResponse(pdu, i === 0 ? ERR.wrongValue : ERR.commitFailed, i + 1);
    }
    return this.response(
      pdu.requestId,
      0,
      0,
      pdu.varbinds.map((v) => v.raw),
    );
  }

  // --- SNMPv3 ----------------------------------------------------------------------------------------------------

  private handleV3(
    packet: Buffer,
    msg: Tlv,
    afterVersion: number,
    remote: string,
  ): Buffer | undefined | Promise<Buffer | undefined> {
    const c = this.deps.counters;
    const global = expect(packet, afterVersion, msg.end, TAG.sequence);
    const msgIdTlv = expect(packet, global.start, global.end, TAG.integer);
    const maxSizeTlv = expect(packet, msgIdTlv.end, global.end, TAG.integer);
    const flagsTlv = expect(packet, maxSizeTlv.end, global.end, TAG.octetString);
    const modelTlv = expect(packet, flagsTlv.end, global.end, TAG.integer);
    const msgId = readInteger(packet, msgIdTlv);
    const maxSize = readInteger(packet, maxSizeTlv);
    if (msgId < 0 || msgId > 2147483647 || maxSize < 484 || flagsTlv.end - flagsTlv.start !== 1)
      throw new BerError("bad v3 header");
    const flags = packet[flagsTlv.start] as number;
    const authFlag = (flags & 1) !== 0;
    const privFlag = (flags & 2) !== 0;
    const reportable = (flags & 4) !== 0;
    if (privFlag && !authFlag) {
      c.invalidMsgs++;
      return undefined;
    }
    if (readInteger(packet, modelTlv) !== 3) {
      c.unknownSecurityModels++;
      return undefined;
    }
    const secOctet = expect(packet, modelTlv.end > global.end ? global.end : global.end, msg.end, TAG.octetString);
    const sec = expect(packet, secOctet.start, secOctet.end, TAG.sequence);
    const engineTlv = expect(packet, sec.start, sec.end, TAG.octetString);
    const bootsTlv = expect(packet, engineTlv.end, sec.end, TAG.integer);
    const timeTlv = expect(packet, bootsTlv.end, sec.end, TAG.integer);
    const userTlv = expect(packet, timeTlv.end, sec.end, TAG.octetString);
    const authTlv = expect(packet, userTlv.end, sec.end, TAG.octetString);
    const privTlv = expect(packet, authTlv.end, sec.end, TAG.octetString);
    const engineId = packet.subarray(engineTlv.start, engineTlv.end);
    const boots = readInteger(packet, bootsTlv);
    const time = readInteger(packet, timeTlv);
    const userName = packet.toString("utf8", userTlv.start, userTlv.end);
    const authParams = packet.subarray(authTlv.start, authTlv.end);
    const privParams = packet.subarray(privTlv.start, privTlv.end);
    const dataStart = secOctet.end;
    const ctx: ReportContext = { msgId, userName, requestId: 0, reportable, maxSize };

    // Plain-text scoped PDU gives us the request id for reports.
    if (!privFlag) {
      try {
        ctx.requestId = this.peekRequestId(packet, dataStart, msg.end);
      } catch {
        // reported below if the PDU is needed
      }
    }
    if (!engineId.equals(this.deps.engineId)) {
      c.unknownEngineIds++;
      return this.report(ctx, 4, c.unknownEngineIds);
    }
    const known = this.users.get(userName);
    if (!known) {
      c.unknownUserNames++;
      return this.report(ctx, 3, c.unknownUserNames);
    }
    const user = known.user;
    if ((authFlag && !user.auth) || (privFlag && !user.priv)) {
      c.unsupportedSecLevels++;
      return this.report(ctx, 1, c.unsupportedSecLevels);
    }
    if (authFlag && !verifyDigest(user, packet, authTlv.start, authParams)) {
      c.wrongDigests++;
      return this.report(ctx, 5, c.wrongDigests);
    }
    if (authFlag) {
      const ourTime = this.deps.engineTime();
      if (boots !== this.deps.engineBoots || boots >= 2147483647 || Math.abs(time - ourTime) > 150) {
        c.notInTimeWindows++;
        return this.report(ctx, 2, c.notInTimeWindows, user);
      }
    }
    if (!known.allowed(remote)) {
      c.silentDrops++;
      return undefined;
    }
    let scoped: Buffer = packet;
    let scopedStart = dataStart;
    let scopedLimit = msg.end;
    if (privFlag) {
      const encrypted = expect(packet, dataStart, msg.end, TAG.octetString);
      try {
        scoped = decrypt(user, packet.subarray(encrypted.start, encrypted.end), boots, time, privParams);
        scopedStart = 0;
        scopedLimit = scoped.length;
        const seq = expect(scoped, 0, scoped.length, TAG.sequence);
        scopedLimit = seq.end;
      } catch {
        c.decryptionErrors++;
        return this.report(ctx, 6, c.decryptionErrors);
      }
    }
    const scopedSeq = expect(scoped, scopedStart, scopedLimit, TAG.sequence);
    const ctxEngine = expect(scoped, scopedSeq.start, scopedSeq.end, TAG.octetString);
    const ctxName = expect(scoped, ctxEngine.end, scopedSeq.end, TAG.octetString);
    const pdu = parsePdu(scoped, ctxName.end, scopedSeq.end);
    ctx.requestId = pdu.requestId;
    if (ctxName.end !== ctxName.start) {
      // Only the default context exists.
      c.silentDrops++;
      return undefined;
    }
    const level = privFlag ? "authPriv" : authFlag ? "authNoPriv" : "noAuthNoPriv";
    const limit = Math.min(maxSize, MAX_DATAGRAM) - V3_OVERHEAD - userName.length;
    const frame: Frame = (body) => this.encodeV3(ctx, flags & 3, user, body);
    if (LEVEL_RANK[level] < LEVEL_RANK[user.level]) return frame(this.errorResponse(pdu, ERR.authorizationError, 0));
    const write = user.admin && level === "authPriv";
    return this.process(pdu, { version: 3, user, write }, limit, remote, user.name, frame);
  }

  private peekRequestId(buf: Buffer, start: number, limit: number): number {
    const seq = expect(buf, start, limit, TAG.sequence);
    const e = expect(buf, seq.start, seq.end, TAG.octetString);
    const n = expect(buf, e.end, seq.end, TAG.octetString);
    const pdu = readTlv(buf, n.end, seq.end);
    return readInteger(buf, expect(buf, pdu.start, pdu.end, TAG.integer));
  }

  /** A Report PDU carrying one usmStats counter; authenticated only for notInTimeWindows (RFC 3414 3.1.1). */
  private report(ctx: ReportContext, stat: number, value: number, authUser?: UsmUser): Buffer | undefined {
    if (!ctx.reportable) return undefined;
    const pdu = tlv(
      TAG.report,
      encodeInteger(ctx.requestId),
      encodeInteger(0),
      encodeInteger(0),
      tlv(TAG.sequence, varbind([...USM_STATS, stat, 0], encodeUnsigned(value, TAG.counter32))),
    );
    return this.encodeV3(ctx, authUser ? 1 : 0, authUser, pdu);
  }

  private encodeV3(ctx: ReportContext, securityFlags: number, user: UsmUser | undefined, pdu: Buffer): Buffer {
    const d = this.deps;
    const boots = d.engineBoots;
    const time = d.engineTime();
    const scoped = this.wrap(TAG.sequence, [this.engineIdTlv, EMPTY_OCTETS], pdu);
    const auth = securityFlags & 1 ? user?.auth : undefined;
    const priv = securityFlags & 2 ? user?.priv : undefined;
    let encrypted: Buffer | undefined;
    let salt = EMPTY;
    if (priv && user) {
      salt = d.salt.next();
      encrypted = encrypt(user, scoped, boots, time, salt);
    }
    const w = this.messageWriter;
    w.pos = 0;
    const message = w.open(TAG.sequence);
    w.integer(3);
    const global = w.open(TAG.sequence);
    w.integer(ctx.msgId);
    w.integer(MAX_DATAGRAM);
    w.bytes(FLAGS[securityFlags & 3] as Buffer);
    w.integer(3);
    w.close(global);
    const secOctet = w.open(TAG.octetString);
    const secSeq = w.open(TAG.sequence);
    w.bytes(this.engineIdTlv);
    w.integer(boots);
    w.integer(time);
    w.octets(user?.name ?? ctx.userName);
    const digestLength = auth ? auth.digestLength : 0;
    const authParams = w.open(TAG.octetString);
    // Zeros while the digest is computed (RFC 3414 6.3.1); a close that lengthens a header moves them along.
    let authAt = w.pos;
    w.range(ZEROS, 0, digestLength);
    w.close(authParams);
    w.octets(salt);
    authAt += w.close(secSeq);
    authAt += w.close(secOctet);
    if (encrypted) w.octets(encrypted);
    else w.bytes(scoped);
    authAt += w.close(message);
    const out = w.copy();
    if (auth && user) digest(user, out).copy(out, authAt);
    return out;
  }
}

interface ReportContext {
  msgId: number;
  userName: string;
  requestId: number;
  reportable: boolean;
  maxSize: number;
}
