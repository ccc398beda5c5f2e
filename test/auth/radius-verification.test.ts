import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { createSocket } from "node:dgram";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { authConfigSchema } from "../../src/auth/config-schema.js";
import {
  encodeAccessRequest,
  radiusAuthenticate,
  roleValues,
  type SentRequest,
  verifyReply,
} from "../../src/auth/radius-client.js";

const SECRET = "unit-test-secret";
const silent = pino({ level: "silent" });

function attribute(type: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, value.length + 2]), value]);
}

/** Builds a reply the way a RADIUS server signs it; `forge` breaks one part of it. */
function buildReply(
  request: SentRequest,
  options: {
    code?: number;
    attributes?: Buffer[];
    secret?: string;
    messageAuthenticator?: "good" | "wrong" | "missing";
    responseAuthenticator?: "good" | "wrong";
    identifier?: number;
  } = {},
): Buffer {
  const secret = options.secret ?? SECRET;
  const withMa = (options.messageAuthenticator ?? "good") !== "missing";
  const body = Buffer.concat([...(withMa ? [attribute(80, Buffer.alloc(16))] : []), ...(options.attributes ?? [])]);
  const packet = Buffer.concat([Buffer.alloc(20), body]);
  packet[0] = options.code ?? 2;
  packet[1] = options.identifier ?? request.identifier;
  packet.writeUInt16BE(packet.length, 2);
  request.authenticator.copy(packet, 4);
  if (withMa) {
    const mac = createHmac("md5", secret).update(packet).digest();
    if (options.messageAuthenticator === "wrong") mac[0] = (mac[0] ?? 0) ^ 0xff;
    mac.copy(packet, 22);
  }
  const response = createHash("md5").update(packet).update(secret).digest();
  if (options.responseAuthenticator === "wrong") response[5] = (response[5] ?? 0) ^ 0x01;
  response.copy(packet, 4);
  return packet;
}

const request = () =>
  encodeAccessRequest({ secret: SECRET, user: "alice", password: "pw-123456789", nasIdentifier: "bmsgw" });

describe("RADIUS reply verification", () => {
  it("accepts a correctly signed Access-Accept and reads its Filter-Id", () => {
    const sent = request();
    const result = verifyReply(
      buildReply(sent, { attributes: [attribute(11, Buffer.from("bms-admins"))] }),
      sent,
      SECRET,
    );
    assert.equal(result.ok, true);
    assert.ok(result.ok);
    assert.equal(result.code, "accept");
    assert.deepEqual(roleValues(result.attributes, { type: "filter-id" }), ["bms-admins"]);
  });

  it("rejects a reply whose Response Authenticator is wrong", () => {
    const sent = request();
    const result = verifyReply(buildReply(sent, { responseAuthenticator: "wrong" }), sent, SECRET);
    assert.deepEqual(result.ok, false);
    assert.match(!result.ok ? result.why : "", /Response Authenticator/);
  });

  it("rejects a reply signed with another secret", () => {
    const sent = request();
    assert.equal(verifyReply(buildReply(sent, { secret: "another-secret" }), sent, SECRET).ok, false);
  });

  it("rejects a reply without Message-Authenticator even when its Response Authenticator is right", () => {
    const sent = request();
    const result = verifyReply(buildReply(sent, { messageAuthenticator: "missing" }), sent, SECRET);
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.why : "", /BlastRADIUS/);
  });

  it("rejects a reply with a wrong Message-Authenticator", () => {
    const sent = request();
    const result = verifyReply(buildReply(sent, { messageAuthenticator: "wrong" }), sent, SECRET);
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.why : "", /Message-Authenticator is wrong/);
  });

  it("rejects a reply to another identifier", () => {
    const sent = request();
    const other = (sent.identifier + 1) % 256;
    assert.equal(verifyReply(buildReply(sent, { identifier: other }), sent, SECRET).ok, false);
  });

  it("rejects truncated packets and a duplicated Message-Authenticator", () => {
    const sent = request();
    assert.equal(verifyReply(Buffer.alloc(10), sent, SECRET).ok, false);
    const doubled = buildReply(sent, { attributes: [attribute(80, Buffer.alloc(16))] });
    assert.equal(verifyReply(doubled, sent, SECRET).ok, false);
  });

  it("signs every Access-Request with a Message-Authenticator", () => {
    const sent = request();
    const packet = Buffer.from(sent.packet);
    let at = 20;
    let found = -1;
    while (at < packet.length) {
      if (packet[at] === 80) found = at + 2;
      at += packet[at + 1] ?? 255;
    }
    assert.ok(found > 0, "Message-Authenticator present");
    const mac = Buffer.from(packet.subarray(found, found + 16));
    packet.fill(0, found, found + 16);
    assert.deepEqual(createHmac("md5", SECRET).update(packet).digest(), mac);
  });

  it("reads the role from a vendor-specific attribute of the configured vendor and type", () => {
    const vsa = Buffer.concat([Buffer.from([0, 0, 0x7e, 0x99]), attribute(7, Buffer.from("bms-operators"))]);
    const other = Buffer.concat([Buffer.from([0, 0, 0, 9]), attribute(7, Buffer.from("bms-admins"))]);
    const values = roleValues(
      [
        [26, vsa],
        [26, other],
      ],
      { type: "vsa", vendorId: 0x7e99, vendorType: 7 },
    );
    assert.deepEqual(values, ["bms-operators"]);
  });
});

describe("RADIUS client against a forging server on loopback", () => {
  const server = createSocket("udp4");
  const intruder = createSocket("udp4");
  let port = 0;
  before(async () => {
    await new Promise<void>((done) => server.bind(0, "127.0.0.1", done));
    await new Promise<void>((done) => intruder.bind(0, "127.0.0.1", done));
    port = server.address().port;
    server.on("message", (message, from) => {
      const sent: SentRequest = {
        packet: message,
        identifier: message[1] ?? 0,
        authenticator: Buffer.from(message.subarray(4, 20)),
      };
      const grant = [attribute(11, Buffer.from("bms-admins"))];
      // A forged accept (wrong Message-Authenticator) from the server's own port, a correct one from another port.
      server.send(buildReply(sent, { attributes: grant, messageAuthenticator: "wrong" }), from.port, from.address);
      server.send(buildReply(sent, { attributes: grant, messageAuthenticator: "missing" }), from.port, from.address);
      intruder.send(buildReply(sent, { attributes: grant }), from.port, from.address);
    });
  });
  after(() => {
    server.close();
    intruder.close();
  });

  it("grants nothing when every reply is forged or comes from the wrong port", async () => {
    const config = authConfigSchema.parse({
      providers: ["radius"],
      radius: {
        servers: [{ host: "127.0.0.1", port, secret: SECRET }],
        timeout: 300,
        retries: 0,
        roleMap: { "bms-admins": "admin" },
      },
    }).radius;
    const outcome = await radiusAuthenticate(config, "alice", "pw-123456789", silent);
    assert.equal(outcome.kind, "unavailable");
    assert.equal(outcome.kind === "unavailable" && outcome.reason, "timeout");
  });
});
