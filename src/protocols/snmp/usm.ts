/**
 * SNMPv3 User-based Security Model (RFC 3414, RFC 3826, RFC 7860): keys are localized once per user with
 * net-snmp's key derivation (so agent, notification sender and the library agree bit for bit), and the hot path
 * uses node:crypto directly (HMAC, AES-CFB) with those keys.
 */
import {
  type Cipher,
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import snmp from "net-snmp";
import type { SnmpSecurityLevel, SnmpUserConfig } from "./config-schema.js";

export const AUTH_PROTOCOL_IDS: Record<string, number> = {
  sha: snmp.AuthProtocols.sha as number,
  sha224: snmp.AuthProtocols.sha224 as number,
  sha256: snmp.AuthProtocols.sha256 as number,
  sha384: snmp.AuthProtocols.sha384 as number,
  sha512: snmp.AuthProtocols.sha512 as number,
};
/** AES-256 uses the Blumenthal key extension, which is what Net-SNMP's `-x AES-256` speaks. */
export const PRIV_PROTOCOL_IDS: Record<string, number> = {
  aes128: snmp.PrivProtocols.aes as number,
  aes256: snmp.PrivProtocols.aes256b as number,
};

export const LEVEL_RANK: Record<SnmpSecurityLevel, number> = { noAuthNoPriv: 0, authNoPriv: 1, authPriv: 2 };

export interface UsmUser {
  readonly name: string;
  readonly level: SnmpSecurityLevel;
  readonly admin: boolean;
  /** `secret` is `key` imported once, so a message's HMAC or cipher does not import the key again. */
  readonly auth?: {
    readonly hash: string;
    readonly key: Buffer;
    readonly secret: KeyObject;
    readonly digestLength: number;
  };
  readonly priv?: {
    readonly cipher: string;
    readonly key: Buffer;
    readonly secret: KeyObject;
    /** AES-ECB on the key, kept for the life of the agent: CFB decryption is one call of it (see `decrypt`). */
    readonly keystream?: Cipher;
  };
  readonly config: SnmpUserConfig;
}

export function localizeUser(config: SnmpUserConfig, engineId: Buffer): UsmUser {
  let auth: UsmUser["auth"];
  let priv: UsmUser["priv"];
  if (config.auth) {
    const id = AUTH_PROTOCOL_IDS[config.auth.protocol] as number;
    const algorithm = snmp.Authentication.algorithms[id];
    if (!algorithm) throw new Error(`unsupported auth protocol ${config.auth.protocol}`);
    const key = snmp.Authentication.passwordToKey(id, config.auth.password, engineId);
    auth = {
      hash: algorithm.CRYPTO_ALGORITHM,
      key,
      secret: createSecretKey(key),
      digestLength: algorithm.AUTHENTICATION_CODE_LENGTH,
    };
    if (config.priv) {
      const privId = PRIV_PROTOCOL_IDS[config.priv.protocol] as number;
      const alg = snmp.Encryption.algorithms[privId];
      if (!alg) throw new Error(`unsupported privacy protocol ${config.priv.protocol}`);
      const key = alg.localizationAlgorithm(alg, id, config.priv.password, engineId).subarray(0, alg.KEY_LENGTH);
      const cipher: string = alg.CRYPTO_ALGORITHM;
      priv = { cipher, key, secret: createSecretKey(key) };
      if (/^aes-(128|256)-cfb$/.test(cipher)) {
        const keystream = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
        keystream.setAutoPadding(false);
        priv = { ...priv, keystream };
      }
    }
  }
  return {
    name: config.name,
    level: config.level,
    admin: config.admin,
    config,
    ...(auth ? { auth } : {}),
    ...(priv ? { priv } : {}),
  };
}

export function digest(user: UsmUser, message: Buffer): Buffer {
  const auth = user.auth;
  if (!auth) throw new Error("user has no auth key");
  return createHmac(auth.hash, auth.secret).update(message).digest().subarray(0, auth.digestLength);
}

const ZEROS = Buffer.alloc(64);

/** Checks the HMAC of `message`, whose auth parameters (at `offset`) count as zeros for the computation. */
export function verifyDigest(user: UsmUser, message: Buffer, offset: number, received: Buffer): boolean {
  const auth = user.auth;
  if (!auth || received.length !== auth.digestLength || offset + auth.digestLength > message.length) return false;
  const mac = createHmac(auth.hash, auth.secret)
    .update(message.subarray(0, offset))
    .update(ZEROS.subarray(0, auth.digestLength))
    .update(message.subarray(offset + auth.digestLength))
    .digest();
  return timingSafeEqual(mac.subarray(0, auth.digestLength), received);
}

function iv(boots: number, time: number, salt: Buffer): Buffer {
  const out = Buffer.alloc(16);
  out.writeUInt32BE(boots >>> 0, 0);
  out.writeUInt32BE(time >>> 0, 4);
  salt.copy(out, 8, 0, 8);
  return out;
}

export function decrypt(user: UsmUser, data: Buffer, boots: number, time: number, salt: Buffer): Buffer {
  const priv = user.priv;
  if (!priv || salt.length !== 8) throw new Error("bad privacy parameters");
  const n = data.length;
  if (priv.keystream && n > 0) {
    // CFB-128: P[i] = C[i] XOR AES(C[i-1]) with C[-1] = IV, so the whole keystream is AES-ECB of IV || C[0..n-2],
    // one call on a long-lived cipher instead of a new decipher per message.
    const blocks = Math.ceil(n / 16);
    const input = Buffer.allocUnsafe(blocks * 16);
    iv(boots, time, salt).copy(input, 0);
    data.copy(input, 16, 0, (blocks - 1) * 16);
    const plain = priv.keystream.update(input);
    for (let i = 0; i < n; i++) plain[i] = (plain[i] as number) ^ (data[i] as number);
    return plain.subarray(0, n);
  }
  const d = createDecipheriv(priv.cipher, priv.secret, iv(boots, time, salt));
  return concatFinal(d.update(data), d.final());
}

/** A 64-bit salt counter started at a random value (RFC 3826 section 3.1.2.1). */
export class SaltCounter {
  private value = randomBytes(8).readBigUInt64BE(0);

  next(): Buffer {
    this.value = (this.value + 1n) & 0xffffffffffffffffn;
    const out = Buffer.alloc(8);
    out.writeBigUInt64BE(this.value);
    return out;
  }
}

export function encrypt(user: UsmUser, data: Buffer, boots: number, time: number, salt: Buffer): Buffer {
  const priv = user.priv;
  if (!priv) throw new Error("user has no privacy key");
  const c = createCipheriv(priv.cipher, priv.secret, iv(boots, time, salt));
  return concatFinal(c.update(data), c.final());
}

/** CFB is a stream mode: `final` has nothing left, so the update output is the whole result. */
function concatFinal(head: Buffer, tail: Buffer): Buffer {
  return tail.length === 0 ? head : Buffer.concat([head, tail]);
}
