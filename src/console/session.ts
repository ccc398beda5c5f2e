/**
 * An interactive console session on Node's readline over any pair of streams (an SSH channel, a Telnet socket after
 * option processing): line editing, history, tab completion, a pager for long output, idle timeout.
 */
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { ConsoleInterpreter } from "./interpreter.js";

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
  /** Longest accepted line; longer lines are refused, not run. */
  readonly maxLineLength?: number;
  /** A terminal (pty / Telnet): echo and line editing by readline. Without one, lines are read plainly. */
  readonly terminal?: boolean;
}

const MAX_LINE = 4096;

/** Terminal output needs CR LF; nobody else translates (we are the pty). */
export function crlf(text: string): string {
  return text.replace(/\r?\n/g, "\r\n");
}

/** Runs until `exit`, end of input or idle timeout; resolves when the session is over. */
export function runSession(options: SessionOptions): Promise<void> {
  const { input, output, interpreter } = options;
  const maxLine = options.maxLineLength ?? MAX_LINE;
  const rl = createInterface({
    input,
    output,
    terminal: options.terminal ?? true,
    historySize: 200,
    removeHistoryDuplicates: true,
    prompt: `${interpreter.principal.user}@bmsgw> `,
    completer: (line: string) => interpreter.complete(line),
    tabSize: 4,
  });
  let idle: NodeJS.Timeout | undefined;
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    if (idle) clearTimeout(idle);
    rl.close();
  };
  const touch = () => {
    if (idle) clearTimeout(idle);
    if (options.idleTimeoutMs > 0)
      idle = setTimeout(() => {
        output.write("\r\nSession closed after idle timeout.\r\n");
        finish();
      }, options.idleTimeoutMs);
  };
  input.on("data", touch);
  touch();
  output.write(crlf(`${options.banner}\nType 'help' for commands, Tab to complete, 'exit' to leave.\n`));

  // Lines that arrive while a command runs (pasted or piped input) wait their turn.
  const queue: string[] = [];
  let busy = false;
  /** Shows long output a page at a time; Enter or space for more, q to stop. */
  const page = async (text: string) => {
    if (!(options.terminal ?? true)) {
      output.write(`${text}\n`);
      return;
    }
    const rows = Math.max(5, output.rows ?? 24);
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i += rows - 1) {
      output.write(crlf(`${lines.slice(i, i + rows - 1).join("\n")}\n`));
      if (i + rows - 1 >= lines.length) break;
      const answer = await new Promise<string>((resolve) =>
        rl.question("--More-- (Enter: next page, q: quit) ", resolve),
      );
      if (closed || answer.trim().toLowerCase().startsWith("q")) break;
    }
  };

  return new Promise<void>((resolve) => {
    let ended = false;
    const end = () => {
      if (idle) clearTimeout(idle);
      input.off("data", touch);
      resolve();
    };
    // End of input (piped commands, `ssh -T`): finish the queued lines first.
    rl.on("close", () => {
      ended = true;
      if (!busy) end();
    });
    const runOne = async (line: string) => {
      if (line.length > maxLine) {
        output.write(crlf(`E_CONSOLE_LINE_TOO_LONG: lines are limited to ${maxLine} characters\n`));
        return;
      }
      const result = await interpreter.run(line);
      if (result.text) await page(result.text);
      if (result.close) finish();
    };
    const drain = async () => {
      if (busy) return;
      busy = true;
      while (queue.length > 0 && !closed) await runOne(queue.shift() as string);
      busy = false;
      if (ended) end();
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
