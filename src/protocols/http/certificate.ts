/**
 * The self-signed certificate the web server uses when none is configured. node:crypto makes keys and signatures but
 * cannot write X.509, so the certificate's DER structure is assembled here (RFC 5280, ECDSA P-256 with SHA-256) and
 * checked with crypto.X509Certificate before it is used; the signature itself is node:crypto's.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { dirname } from "node:path";

const DAY = 86_400_000;
/** Validity of a generated certificate; it is replaced on start when less than RENEW_BEFORE remains. */
const VALIDITY_DAYS = 825;
const RENEW_BEFORE = 30 * DAY;

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, ...items);

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift((n & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function time(at: Date): Buffer {
  const iso = at.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  // UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5).
  return at.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, "ascii"))
    : tlv(0x18, Buffer.from(`${iso}Z`, "ascii"));
}

function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split(".").map(Number));
  const [head = "", tail = ""] = address.split("::");
  const groups = (part: string) => (part ? part.split(":") : []);
  const left = groups(head);
  const right = address.includes("::") ? groups(tail) : [];
  const all = [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return Buffer.concat(all.map((g) => Buffer.from(g.padStart(4, "0"), "hex")));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [Buffer.from([0x01, 0x01, 0xff])] : []), tlv(0x04, value));
}

export interface GeneratedCertificate {
  readonly cert: string;
  readonly key: string;
}

/** A new self-signed server certificate for `names` (DNS names and IP addresses), valid from an hour ago. */
export function generateSelfSignedCertificate(names: readonly string[], now = new Date()): GeneratedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive INTEGER
  const signatureAlgorithm = sequence(oid("1.2.840.10045.4.3.2"));
  const commonName = names.find((n) => isIP(n) === 0) ?? names[0] ?? "bmsgw";
  const name = sequence(tlv(0x31, sequence(oid("2.5.4.3"), tlv(0x0c, Buffer.from(`bmsgw ${commonName}`, "utf8")))));
  const altNames = names.map((n) => (isIP(n) ? tlv(0x87, ipBytes(n)) : tlv(0x82, Buffer.from(n, "ascii"))));
  const keyId = createHash("sha1").update(spki).digest();
  const extensions = sequence(
    extension("2.5.29.19", true, sequence()), // basicConstraints: not a CA
    extension("2.5.29.15", true, tlv(0x03, Buffer.from([0x07, 0x80]))), // keyUsage: digitalSignature
    extension("2.5.29.37", false, sequence(oid("1.3.6.1.5.5.7.3.1"))), // extKeyUsage: serverAuth
    extension("2.5.29.14", false, tlv(0x04, keyId)), // subjectKeyIdentifier
    extension("2.5.29.17", false, sequence(...altNames)), // subjectAltName
  );
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([0x02]))), // version 3
    tlv(0x02, serial),
    signatureAlgorithm,
    name,
    sequence(time(new Date(now.getTime() - 3_600_000)), time(new Date(now.getTime() + VALIDITY_DAYS * DAY))),
    name,
    spki,
    tlv(0xa3, extensions),
  );
  const signature = sign("sha256", tbs, { key: privateKey, dsaEncoding: "der" });
  const der = sequence(tbs, signatureAlgorithm, tlv(0x03, Buffer.from([0]), signature));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  const cert = `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
  const parsed = new X509Certificate(cert);
  if (!parsed.verify(publicKey)) throw new Error("E_HTTP_CERT: generated certificate does not verify");
  return { cert, key: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

function writePrivate(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

/**
 * Reads the generated certificate from `certFile`/`keyFile`, creating (or renewing, when it expires within 30 days
 * or its names changed) it first.
 */
export function loadOrCreateSelfSigned(
  certFile: string,
  keyFile: string,
  names: readonly string[],
  now = new Date(),
): GeneratedCertificate & { created: boolean; fingerprint: string } {
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = readFileSync(certFile, "utf8");
    const parsed = new X509Certificate(cert);
    const sameNames = names.every((n) => (isIP(n) ? parsed.checkIP(n) : parsed.checkHost(n)) !== undefined);
    if (new Date(parsed.validTo).getTime() - now.getTime() > RENEW_BEFORE && sameNames)
      return { cert, key: readFileSync(keyFile, "utf8"), created: false, fingerprint: parsed.fingerprint256 };
  }
  mkdirSync(dirname(certFile), { recursive: true, mode: 0o700 });
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  const generated = generateSelfSignedCertificate(names, now);
  writePrivate(keyFile, generated.key);
  writeFileSync(certFile, generated.cert, { mode: 0o644 });
  return { ...generated, created: true, fingerprint: new X509Certificate(generated.cert).fingerprint256 };
}
