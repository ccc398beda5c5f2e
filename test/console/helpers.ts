import { execFile } from "node:child_process";
import type { Gateway } from "../../src/app/gateway.js";

/** Port of the listener announced as `scheme://host:port`. */
export function listenerPort(gateway: Gateway, scheme: string): number {
  const address = gateway.listeners().find((l) => l.startsWith(`${scheme}://`));
  if (!address) throw new Error(`no ${scheme} listener in ${gateway.listeners().join(", ")}`);
  return Number(address.slice(address.lastIndexOf(":") + 1));
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program and resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(file: string, args: readonly string[], options: { input?: string; timeoutMs?: number } = {}) {
  return new Promise<RunResult>((resolve) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 20_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

export const SSH_OPTIONS = [
  "-o",
  "StrictHostKeyChecking=no",
  "-o",
  "UserKnownHostsFile=/dev/null",
  "-o",
  "LogLevel=ERROR",
  "-o",
  "ConnectTimeout=10",
];

/** `ssh user@127.0.0.1 command` with a password through sshpass. */
export function sshPassword(port: number, user: string, password: string, command: string): Promise<RunResult> {
  return run("sshpass", [
    "-p",
    password,
    "ssh",
    ...SSH_OPTIONS,
    "-o",
    "PreferredAuthentications=password",
    "-o",
    "PubkeyAuthentication=no",
    "-p",
    String(port),
    `${user}@127.0.0.1`,
    command,
  ]);
}
