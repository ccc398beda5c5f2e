/**
 * Sits between the peer's byte stream and readline: bytes normally flow on to readline, but a secret prompt (password)
 * or the pager's "--More--" key can take them for a while, so those answers are never echoed nor kept in history.
 * It also bounds a line's length before readline ever buffers it: a 1 MB line costs at most a few kilobytes.
 */
import { PassThrough, type Readable } from "node:stream";

/** Consumes bytes; returns the bytes it did not need once it is done, or undefined while it wants more. */
type Reader = (chunk: Buffer) => Buffer | undefined;

const CR = 13;
const LF = 10;
const BS = 8;
const DEL = 127;
const ESC = 27;
const CTRL_C = 3;
const CTRL_D = 4;
/** Ctrl-E (end of line) then Ctrl-U (delete to the start): readline forgets the line typed so far. */
const KILL_LINE = Buffer.from([5, 21]);
const MAX_SECRET_BYTES = 1024;

export type PagerKey = "next" | "quit";

export class InputGate {
  /** What readline reads. */
  readonly sink = new PassThrough();
  private reader?: Reader;
  private cancelReader?: () => void;
  private lineBytes = 0;
  private dropping = false;
  private ended = false;

  /**
   * @param maxLineBytes bytes of one line passed to readline; the rest of an overlong line is dropped.
   * @param onOverlong called when an overlong line ends (terminal mode: readline's copy was cleared).
   */
  constructor(
    input: Readable,
    private readonly terminal: boolean,
    private readonly maxLineBytes: number,
    private readonly onOverlong: () => void,
  ) {
    input.on("data", (chunk: Buffer | string) => this.feed(typeof chunk === "string" ? Buffer.from(chunk) : chunk));
    input.on("end", () => this.close());
    input.on("close", () => this.close());
    // A login reader may have paused the stream (Telnet); from now on the gate takes everything.
    input.resume();
  }

  /** Ends the session's input: a pending prompt is cancelled and readline sees the end. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.cancelReader?.();
    this.sink.end();
  }

  /** Reads one line without echo (the peer's terminal does not echo either: we are its pty). Undefined: cancelled. */
  readSecret(): Promise<string | undefined> {
    const bytes: number[] = [];
    let inEscape = 0; // 0: none, 1: after ESC, 2: inside a CSI/SS3 sequence
    return this.take<string | undefined>((chunk, finish) => {
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i] as number;
        if (inEscape === 1) {
          inEscape = byte === 0x5b || byte === 0x4f ? 2 : 0;
          continue;
        }
        if (inEscape === 2) {
          if (byte >= 0x40 && byte <= 0x7e) inEscape = 0;
          continue;
        }
        if (byte === CR || byte === LF) {
          const skip = byte === CR && (chunk[i + 1] === LF || chunk[i + 1] === 0) ? 2 : 1;
          return finish(Buffer.from(bytes).toString("utf8"), chunk.subarray(i + skip));
        }
        if (byte === CTRL_C || (byte === CTRL_D && bytes.length === 0)) return finish(undefined, chunk.subarray(i + 1));
        if (byte === BS || byte === DEL) {
          // Remove one UTF-8 character: continuation bytes, then its lead byte.
          while (bytes.length > 0 && ((bytes[bytes.length - 1] as number) & 0xc0) === 0x80) bytes.pop();
          bytes.pop();
        } else if (byte === ESC) inEscape = 1;
        else if (byte >= 0x20 && bytes.length < MAX_SECRET_BYTES) bytes.push(byte);
      }
      return undefined;
    }, undefined);
  }

  /** Waits for one key: space or Enter for the next page, q (or Ctrl-C) to stop; other keys are ignored. */
  readPagerKey(): Promise<PagerKey> {
    return this.take<PagerKey>((chunk, finish) => {
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i] as number;
        if (byte === 0x71 || byte === 0x51 || byte === CTRL_C || byte === CTRL_D)
          return finish("quit", chunk.subarray(i + 1));
        if (byte === 0x20 || byte === CR || byte === LF) {
          const skip = byte === CR && (chunk[i + 1] === LF || chunk[i + 1] === 0) ? 2 : 1;
          return finish("next", chunk.subarray(i + skip));
        }
      }
      return undefined;
    }, "quit");
  }

  /** Lends the byte stream to `consume` until it finishes; resolves with `onEnd` when the peer goes first. */
  private take<T>(
    consume: (chunk: Buffer, finish: (value: T, rest: Buffer) => Buffer) => Buffer | undefined,
    onEnd: T,
  ): Promise<T> {
    if (this.ended) return Promise.resolve(onEnd);
    return new Promise<T>((resolve) => {
      const release = () => {
        this.reader = undefined;
        this.cancelReader = undefined;
      };
      this.cancelReader = () => {
        release();
        resolve(onEnd);
      };
      this.reader = (chunk) =>
        consume(chunk, (value, rest) => {
          release();
          resolve(value);
          return rest;
        });
    });
  }

  private feed(chunk: Buffer): void {
    let rest: Buffer | undefined = chunk;
    while (rest && rest.length > 0) {
      if (!this.reader) {
        this.forward(rest);
        return;
      }
      rest = this.reader(rest);
    }
  }

  /** Passes bytes to readline, dropping what exceeds the line limit up to the next line end. */
  private forward(chunk: Buffer): void {
    const parts: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (byte === CR || byte === LF) {
        if (this.dropping) {
          this.dropping = false;
          start = i;
          if (this.terminal) {
            parts.push(KILL_LINE);
            this.onOverlong();
          }
        }
        this.lineBytes = 0;
      } else if (!this.dropping && ++this.lineBytes > this.maxLineBytes) {
        parts.push(chunk.subarray(start, i));
        this.dropping = true;
      }
    }
    if (!this.dropping) parts.push(chunk.subarray(start));
    const out = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    if (out.length > 0 && !this.sink.writableEnded) this.sink.write(out);
  }
}
