/** What a console command answers, and the exit codes exec returns (`ssh gateway 'show alarms --json'`). */
export const EXIT = { ok: 0, failed: 1, usage: 2, forbidden: 3, notFound: 4 } as const;

export interface ConsoleOutput {
  readonly exitCode: number;
  readonly text: string;
  /** The session should end after printing. */
  readonly close?: boolean;
  /** The text is a result even with a non-zero exit code (discover's mismatches): exec prints it on stdout. */
  readonly isResult?: boolean;
}

export function ok(text: string): ConsoleOutput {
  return { exitCode: EXIT.ok, text };
}

/** A failure with its stable id first: `E_CONSOLE_USAGE: usage: …`. */
export function fail(exitCode: number, code: string, text: string): ConsoleOutput {
  return { exitCode, text: `${code}: ${text}` };
}

export function json(value: unknown): ConsoleOutput {
  return ok(JSON.stringify(value, null, 2));
}
