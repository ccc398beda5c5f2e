/**
 * An interactive console session on Node's readline over any pair of streams (an SSH channel, a Telnet socket after
 * option processing): line editing, history, tab completion, a pager for long output, idle timeout, and the forced
 * password change before anything else when the account demands it.
 */
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { InputGate } from "./input-gate.js";
import type { ConsoleInterpreter, ConsoleIO } from "./interpreter.js";

/** The terminal side: the output may carry `columns`/`rows` (set by the adapter from pty / NAWS). */
export type TerminalOutput = Writable & { columns?: number; rows?: number };

export interface SessionOptions {
  readonly input: Readable;
  readonly output: TerminalOutput;
  readonly interpreter: ConsoleInterpreter;
  /** Shown once before the first prompt. */
  readonly banner: string;
  /** Closes the session after this long without input; 0 = never. */
  readonly idleTimeoutMs: number;
  /** Longest accepted line in characters; longer lines are refused, not run. */
  readonly maxLineLength?: number;
  /** A terminal (pty / Telnet): echo and line editing by readline. Without one, lines are read plainly. */
  readonly terminal?: boolean;
}

export const MAX_LINE = 4096;
const PASSWORD_ATTEMPTS = 3;

/** Terminal output needs CR LF; nobody else translates (we are the pty). */
export function crlf(text: string): string {
  return text.replace(/\r?\n/g, "\r\n");
}

/** Runs until `exit`, end of input or idle timeout; resolves when the session is over. */
export async function runSession(options: SessionOptions): Promise<void> {
  const { input, output, interpreter } = options;
  const terminal = options.terminal ?? true;
  const maxLine = options.maxLineLength ?? MAX_LINE;
  const write = (text: string) => {
    if (!output.writableEnded && !output.destroyed) output.write(terminal ? crlf(text) : text);
  };
  // Bytes, not characters: a line of maxLine four-byte characters still fits, and what is cut is still too long.
  const gate = new InputGate(input, terminal, 4 * maxLine + 4, () =>
    write(`\nE_CONSOLE_LINE_TOO_LONG: lines are limited to ${maxLine} characters\n`),
  );

  let idle: NodeJS.Timeout | undefined;
  let closed = false;
  let closeReadline = () => {};
  const finish = () => {
    if (closed) return;
    closed = true;
    if (idle) clearTimeout(idle);
    closeReadline();
  };
  const touch = () => {
    if (idle) clearTimeout(idle);
    if (options.idleTimeoutMs > 0)
      idle = setTimeout(() => {
        write("\nSession closed after idle timeout.\n");
        finish();
        gate.close();
      }, options.idleTimeoutMs);
  };
  input.on("data", touch);
  touch();

  const io: ConsoleIO = {
    interactive: true,
    write,
    async askSecret(prompt) {
      write(prompt);
      const answer = await gate.readSecret();
      write("\n");
      return answer;
    },
  };

  write(`${options.banner}\n`);
  try {
    if (interpreter.principal.mustChangePassword && !(await forcePasswordChange(interpreter, io))) {
      write("E_CONSOLE_PASSWORD_CHANGE_REQUIRED: no new password was set; the session ends.\n");
      return;
    }
    if (closed) return;
    write("Type 'help' for commands, Tab to complete, 'exit' to leave.\n");
    await readCommands();
  } finally {
    finish();
    if (idle) clearTimeout(idle);
    input.off("data", touch);
  }

  function readCommands(): Promise<void> {
    const rl = createInterface({
      input: gate.sink,
      output,
      terminal,
      historySize: 200,
      removeHistoryDuplicates: true,
      prompt: `${interpreter.principal.user}@bmsgw> `,
      completer: (line: string) => interpreter.complete(line),
      tabSize: 4,
    });
    closeReadline = () => rl.close();
    // Ctrl-C clears the line; Ctrl-Z must never reach readline's default, which stops the whole gateway process.
    rl.on("SIGINT", () => {
      rl.write(null, { ctrl: true, name: "e" });
      rl.write(null, { ctrl: true, name: "u" });
      write("^C\n");
      rl.prompt();
    });
    rl.on("SIGTSTP", () => {});
    rl.on("SIGCONT", () => {});

    /** Shows long output a page at a time; space or Enter for more, q to stop. */
    const page = async (text: string) => {
      if (!terminal) {
        write(`${text}\n`);
        return;
      }
      const rows = Math.max(5, output.rows ?? 24);
      const lines = text.split("\n");
      for (let i = 0; i < lines.length; i += rows - 1) {
        write(`${lines.slice(i, i + rows - 1).join("\n")}\n`);
        if (i + rows - 1 >= lines.length) break;
        write("--More-- (space: next page, q: quit)");
        const key = await gate.readPagerKey();
        write("\r\x1b[K");
        if (closed || key === "quit") break;
      }
    };

    // Lines that arrive while a command runs (pasted or piped input) wait their turn.
    const queue: string[] = [];
    let busy = false;
    return new Promise<void>((resolve) => {
      let ended = false;
      rl.on("close", () => {
        ended = true;
        if (!busy) resolve();
      });
      const runOne = async (line: string) => {
        if (line.length > maxLine) {
          write(`E_CONSOLE_LINE_TOO_LONG: lines are limited to ${maxLine} characters\n`);
          return;
        }
        const result = await interpreter.run(line, io);
        if (result.text) await page(result.text);
        if (result.close) finish();
      };
      const drain = async () => {
        if (busy) return;
        busy = true;
        while (queue.length > 0 && !closed) await runOne(queue.shift() as string);
        busy = false;
        if (ended) resolve();
        else if (!closed) rl.prompt();
      };
      rl.on("line", (line) => {
        if (queue.length >= 100) return; // a flood of lines: drop the excess rather than grow without bound
        queue.push(line);
        void drain();
      });
      rl.prompt();
    });
  }
}

/** Asks for a new password (twice) until one is accepted; false when the user gives up or leaves. */
async function forcePasswordChange(interpreter: ConsoleInterpreter, io: ConsoleIO): Promise<boolean> {
  io.write("Your password must be changed before you continue.\n");
  for (let attempt = 0; attempt < PASSWORD_ATTEMPTS; attempt++) {
    const result = await interpreter.changeOwnPassword(io);
    io.write(`${result.text}\n`);
    if (result.exitCode === 0) return true;
    if (result.close) return false;
  }
  return false;
}
