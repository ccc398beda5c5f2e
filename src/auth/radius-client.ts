/**
 * RADIUS PAP client. The `radius` package only encodes the Access-Request and splits attributes; every check on
 * a reply is done here with constant-time comparisons, because the package compares authenticators as UTF-8
 * strings (which lets forged replies through) and does not require a Message-Authenticator (BlastRADIUS,
 * CVE-2024-3596). A reply that fails any check is dropped as if it never came.
 */
import { createHash, createHmac, randomInt, timingSafeEqual } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Logger } from "pino";
import radius from "radius";
import type { Role } from "../core/adapter.js";
import type { RadiusAuthConfig } from "./config-schema.js";
import { mapRoles, type ProviderOutcome } from "./provider.js";

const CODE = { accessRequest: 1, accessAccept: 2, accessReject: 3, accessChallenge: 11 } as const;
const ATTR = { filterId: 11, class: 25, vendorSpecific: 26, messageAuthenticator: 80 } as const;

export interface SentRequest {
  readonly packet: Buffer;
  readonly identifier: number;
  readonly authenticator: Buffer;
}

/** Builds an Access-Request with a random identifier and authenticator and a Message-Authenticator. */
export function encodeAccessRequest(options: {
  secret: string;
  user: string;
  password: string;
  nasIdentifier: string;
  identifier?: number;
}): SentRequest {
  const identifier = options.identifier ?? randomInt(256);
  const packet = radius.encode({
    code: "Access-Request",
    secret: options.secret,
    identifier,
    attributes: [
      ["User-Name", options.user],
      ["User-Password", options.password],
      ["NAS-Identifier", options.nasIdentifier],
      ["Service-Type", "Login-User"],
    ],
    add_message_authenticator: true,
  });
  return { packet, identifier, authenticator: Buffer.from(packet.subarray(4, 20)) };
}

export type VerifiedReply =
  | { ok: true; code: "accept" | "reject" | "challenge"; attributes: readonly [number, Buffer][] }
  | { ok: false; why: string };

/**
 * Checks a reply against the request it answers: length, code, identifier, Response Authenticator and a
 * Message-Authenticator that must be present exactly once and correct. Only `ok: true` may be acted upon.
 */
export function verifyReply(reply: Buffer, request: SentRequest, secret: string): VerifiedReply {
  if (reply.length < 20) return { ok: false, why: "shorter than a RADIUS header" };
  const length = reply.readUInt16BE(2);
  if (length < 20 || length > 4096 || length > reply.length) return { ok: false, why: "bad length field" };
  const packet = reply.subarray(0, length);
  const codeNumber = packet[0];
  const code =
    codeNumber === CODE.accessAccept
      ? "accept"
      : codeNumber === CODE.accessReject
        ? "reject"
        : codeNumber === CODE.accessChallenge
          ? "challenge"
          : undefined;
  if (!code) return { ok: false, why: `unexpected code ${codeNumber}` };
  if (packet[1] !== request.identifier) return { ok: false, why: "identifier does not match the request" };

  const expected = createHash("md5")
    .update(packet.subarray(0, 4))
    .update(request.authenticator)
    .update(packet.subarray(20))
    .update(secret)
    .digest();
  if (!timingSafeEqual(expected, packet.subarray(4, 20)))
    return { ok: false, why: "Response Authenticator is wrong (forged reply or wrong shared secret)" };

  const attributes: [number, Buffer][] = [];
  let messageAuthenticatorAt = -1;
  for (let at = 20; at < length; ) {
    const type = packet[at];
    const size = packet[at + 1];
    if (type === undefined || size === undefined || size < 2 || at + size > length)
      return { ok: false, why: "malformed attribute" };
    if (type === ATTR.messageAuthenticator) {
      if (messageAuthenticatorAt >= 0) return { ok: false, why: "more than one Message-Authenticator" };
      if (size !== 18) return { ok: false, why: "Message-Authenticator of wrong size" };
      messageAuthenticatorAt = at + 2;
    }
    attributes.push([type, Buffer.from(packet.subarray(at + 2, at + size))]);
    at += size;
  }
  if (messageAuthenticatorAt < 0)
    return { ok: false, why: "no Message-Authenticator (required against BlastRADIUS, CVE-2024-3596)" };

  // HMAC-MD5 over the reply with the request's authenticator in place and the Message-Authenticator zeroed.
  const copy = Buffer.from(packet);
  request.authenticator.copy(copy, 4);
  copy.fill(0, messageAuthenticatorAt, messageAuthenticatorAt + 16);
  const mac = createHmac("md5", secret).update(copy).digest();
  if (!timingSafeEqual(mac, packet.subarray(messageAuthenticatorAt, messageAuthenticatorAt + 16)))
    return { ok: false, why: "Message-Authenticator is wrong" };

  // Let the package split the attributes too, as a second opinion on well-formedness.
  radius.decode({ packet: Buffer.from(packet), secret, no_secret: true });
  return { ok: true, code, attributes };
}

/** The values of the configured role attribute in a verified Access-Accept. */
export function roleValues(
  attributes: readonly [number, Buffer][],
  roleAttribute: RadiusAuthConfig["roleAttribute"],
): string[] {
  if (roleAttribute.type === "filter-id")
    return attributes.filter(([t]) => t === ATTR.filterId).map(([, v]) => v.toString("utf8"));
  if (roleAttribute.type === "class")
    return attributes.filter(([t]) => t === ATTR.class).map(([, v]) => v.toString("utf8"));
  const values: string[] = [];
  for (const [type, value] of attributes) {
    if (type !== ATTR.vendorSpecific || value.length < 6 || value.readUInt32BE(0) !== roleAttribute.vendorId) continue;
    for (let at = 4; at + 2 <= value.length; ) {
      const subType = value[at];
      const size = value[at + 1] ?? 0;
      if (size < 2 || at + size > value.length) break;
      if (subType === roleAttribute.vendorType) values.push(value.subarray(at + 2, at + size).toString("utf8"));
      at += size;
    }
  }
  return values;
}

type Exchange =
  | { kind: "reply"; reply: Extract<VerifiedReply, { ok: true }> }
  | { kind: "unreachable"; why: string }
  | { kind: "timeout" };

/** One server: send, retransmit the same packet on timeout, accept only a verified reply from that address/port. */
async function exchange(
  server: RadiusAuthConfig["servers"][number],
  request: SentRequest,
  config: RadiusAuthConfig,
  log: Logger,
): Promise<Exchange> {
  let address: string;
  try {
    address = isIP(server.host) ? server.host : (await lookup(server.host)).address;
  } catch {
    return { kind: "unreachable", why: `cannot resolve ${server.host}` };
  }
  const socket: Socket = createSocket(isIP(address) === 6 ? "udp6" : "udp4");
  try {
    return await new Promise<Exchange>((resolvePromise) => {
      let attempts = 0;
      let timer: NodeJS.Timeout | undefined;
      const finish = (result: Exchange) => {
        clearTimeout(timer);
        resolvePromise(result);
      };
      const send = () => {
        attempts++;
        socket.send(request.packet);
        timer = setTimeout(() => (attempts <= config.retries ? send() : finish({ kind: "timeout" })), config.timeout);
      };
      socket.on("error", (error: NodeJS.ErrnoException) =>
        finish({ kind: "unreachable", why: error.code ?? error.message }),
      );
      socket.on("message", (message, from) => {
        // connect() already filters by source; checked again so a future change cannot silently drop the check.
        if (from.address !== address || from.port !== server.port) return;
        const verified = verifyReply(message, request, server.secret);
        if (verified.ok) finish({ kind: "reply", reply: verified });
        else
          log.warn(
            { server: `${server.host}:${server.port}`, why: verified.why },
            "E_AUTH_RADIUS_REPLY: dropped a RADIUS reply that failed verification; check the shared secret and that the server sends Message-Authenticator",
          );
      });
      socket.connect(server.port, address, () => send());
    });
  } finally {
    socket.close();
  }
}

/** Asks the servers in order; the next one only when one is unreachable or silent. */
export async function radiusAuthenticate(
  config: RadiusAuthConfig,
  user: string,
  password: string,
  log: Logger,
): Promise<ProviderOutcome> {
  let lastFailure: Extract<ProviderOutcome, { kind: "unavailable" }> = {
    kind: "unavailable",
    reason: "unreachable",
    why: "no RADIUS server configured",
  };
  for (const server of config.servers) {
    const request = encodeAccessRequest({
      secret: server.secret,
      user,
      password,
      nasIdentifier: config.nasIdentifier,
    });
    const result = await exchange(server, request, config, log);
    const name = `${server.host}:${server.port}`;
    if (result.kind === "reply") {
      if (result.reply.code !== "accept")
        return { kind: "reject", reason: "invalid-credentials", why: `Access-${result.reply.code} from ${name}` };
      const roles: Role[] = mapRoles(roleValues(result.reply.attributes, config.roleAttribute), config);
      if (roles.length === 0)
        return { kind: "reject", reason: "invalid-credentials", why: `Access-Accept from ${name} maps to no role` };
      return { kind: "accept", user, roles, why: `Access-Accept from ${name}` };
    }
    lastFailure =
      result.kind === "timeout"
        ? { kind: "unavailable", reason: "timeout", why: `no verified reply from ${name}` }
        : { kind: "unavailable", reason: "unreachable", why: `${name}: ${result.why}` };
    log.warn({ server: name, why: lastFailure.why }, "RADIUS server did not answer; trying the next one");
  }
  return lastFailure;
}
