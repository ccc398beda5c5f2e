import { execFile } from "node:child_process";
import type { Socket } from "node:dgram";
import { resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "../..");
/** Debian ships no IETF MIBs (non-free); SNMPv2-SMI/TC/CONF/MIB come from net-snmp's bundled copies. */
export const MIB_DIRS = `${REPO}/node_modules/net-snmp/lib/mibs:${REPO}/mibs`;
export const MIB_ARGS = ["-M", MIB_DIRS, "-m", "SNMPv2-MIB:BMS-GATEWAY-MIB"];

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a Net-SNMP command-line tool with our MIB and no user config; never rejects. */
export function tool(command: string, args: readonly string[], timeoutMs = 30_000): Promise<ToolResult> {
  return new Promise((done) => {
    execFile(
      command,
      [...MIB_ARGS, ...args],
      {
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, SNMPCONFPATH: "/nonexistent", HOME: "/nonexistent" },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

export const V3_USER = {
  name: "ops-admin",
  authProtocol: "SHA-256",
  authPassword: "test-auth-secret-1",
  privProtocol: "AES",
  privPassword: "test-priv-secret-1",
} as const;

export const V3_USER_AES256 = {
  name: "ops-reader",
  authProtocol: "SHA",
  authPassword: "test-auth-secret-2",
  privProtocol: "AES-256",
  privPassword: "test-priv-secret-2",
} as const;

export function v3Args(user: {
  name: string;
  authProtocol: string;
  authPassword: string;
  privProtocol: string;
  privPassword: string;
}): string[] {
  return [
    "-v3",
    "-l",
    "authPriv",
    "-u",
    user.name,
    "-a",
    user.authProtocol,
    "-A",
    user.authPassword,
    "-x",
    user.privProtocol,
    "-X",
    user.privPassword,
  ];
}

/** The snmp section used by the agent tests: one read-only community and two v3 users. */
export function snmpSection(extra = ""): string {
  return [
    "protocols:",
    "  snmp:",
    "    enabled: true",
    "    host: 127.0.0.1",
    "    port: 0",
    "    communities:",
    "      - { name: test-public }",
    "      - { name: only-v1, versions: [v1] }",
    "      - { name: far-away, sources: [192.0.2.0/24] }",
    "    users:",
    `      - { name: ${V3_USER.name}, level: authPriv, admin: true, auth: { protocol: sha256, password: ${V3_USER.authPassword} }, priv: { protocol: aes128, password: ${V3_USER.privPassword} } }`,
    `      - { name: ${V3_USER_AES256.name}, level: authPriv, auth: { protocol: sha, password: ${V3_USER_AES256.authPassword} }, priv: { protocol: aes256, password: ${V3_USER_AES256.privPassword} } }`,
    extra,
  ].join("\n");
}

/** The agent's UDP port, from the listener the adapter announced. */
export function snmpPort(listeners: readonly string[]): number {
  const url = listeners.find((l) => l.startsWith("snmp://"));
  if (!url) throw new Error(`no snmp listener in ${listeners.join(", ")}`);
  return Number(url.slice(url.lastIndexOf(":") + 1));
}

/** Sends one datagram and waits for the next one back; undefined when none came within `timeoutMs`. */
export function exchange(socket: Socket, port: number, packet: Buffer, timeoutMs = 2000): Promise<Buffer | undefined> {
  return new Promise((done) => {
    const timer = setTimeout(() => {
      socket.off("message", onMessage);
      done(undefined);
    }, timeoutMs);
    const onMessage = (msg: Buffer) => {
      clearTimeout(timer);
      socket.off("message", onMessage);
      done(msg);
    };
    socket.on("message", onMessage);
    socket.send(packet, port, "127.0.0.1");
  });
}
