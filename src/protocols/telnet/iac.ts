/**
 * A small Telnet (RFC 854) option parser: strips IAC sequences from the input, answers negotiation, reports window
 * size (NAWS, RFC 1073) and terminal type (TTYPE, RFC 1091), and folds CR NUL / CR LF / LF into one CR.
 */
export const IAC = 255;
const DONT = 254;
const DO = 253;
const WONT = 252;
const WILL = 251;
const SB = 250;
const SE = 240;
export const OPT_ECHO = 1;
export const OPT_SGA = 3;
export const OPT_TTYPE = 24;
export const OPT_NAWS = 31;
const TTYPE_IS = 0;
const TTYPE_SEND = 1;
/** Longest subnegotiation kept; longer ones are dropped (garbage). */
const MAX_SB = 64;

export interface TelnetEvents {
  /** Plain input bytes, with line endings folded to CR. */
  data(bytes: Buffer): void;
  /** Bytes to send back to the peer (negotiation replies). */
  reply(bytes: Buffer): void;
  resize(columns: number, rows: number): void;
  terminalType(name: string): void;
}

/** What the server offers on connect: it echoes and suppresses go-ahead, and asks for window size and type. */
export function initialNegotiation(): Buffer {
  return Buffer.from([IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA, IAC, DO, OPT_NAWS, IAC, DO, OPT_TTYPE]);
}

type State = "data" | "iac" | "option" | "sb" | "sb-iac";

export class TelnetParser {
  private state: State = "data";
  private verb = 0;
  private sb: number[] = [];
  private sbOverflow = false;
  private afterCr = false;
  /** Options we already answered, so a misbehaving peer cannot make us loop. */
  private readonly answered = new Set<string>();

  constructor(private readonly on: TelnetEvents) {}

  push(chunk: Buffer): void {
    const out: number[] = [];
    for (const byte of chunk) {
      switch (this.state) {
        case "data":
          if (byte === IAC) this.state = "iac";
          else if (this.afterCr && (byte === 0 || byte === 10)) this.afterCr = false;
          else if (byte === 13) {
            out.push(13);
            this.afterCr = true;
          } else if (byte === 10) out.push(13);
          else {
            this.afterCr = false;
            out.push(byte);
          }
          break;
        case "iac":
          if (byte === IAC) {
            out.push(IAC);
            this.state = "data";
          } else if (byte === WILL || byte === WONT || byte === DO || byte === DONT) {
            this.verb = byte;
            this.state = "option";
          } else if (byte === SB) {
            this.sb = [];
            this.sbOverflow = false;
            this.state = "sb";
          } else this.state = "data"; // NOP, GA, AYT, … : ignored
          break;
        case "option":
          this.negotiate(this.verb, byte);
          this.state = "data";
          break;
        case "sb":
          if (byte === IAC) this.state = "sb-iac";
          else if (this.sb.length < MAX_SB) this.sb.push(byte);
          else this.sbOverflow = true;
          break;
        case "sb-iac":
          if (byte === SE) {
            if (!this.sbOverflow) this.subnegotiation(this.sb);
            this.state = "data";
          } else {
            if (byte === IAC && this.sb.length < MAX_SB) this.sb.push(IAC);
            this.state = "sb";
          }
          break;
        default:
          this.state = "data";
      }
    }
    if (out.length > 0) this.on.data(Buffer.from(out));
  }

  private negotiate(verb: number, option: number): void {
    const key = `${verb}:${option}`;
    if (this.answered.has(key)) return;
    this.answered.add(key);
    if (verb === WILL && option === OPT_TTYPE) this.on.reply(Buffer.from([IAC, SB, OPT_TTYPE, TTYPE_SEND, IAC, SE]));
    else if (verb === WILL && option === OPT_NAWS) return;
    else if (verb === DO && (option === OPT_ECHO || option === OPT_SGA)) return;
    else if (verb === WILL) this.on.reply(Buffer.from([IAC, DONT, option]));
    else if (verb === DO) this.on.reply(Buffer.from([IAC, WONT, option]));
  }

  private subnegotiation(bytes: number[]): void {
    const [option, ...rest] = bytes;
    if (option === OPT_NAWS && rest.length === 4) {
      const columns = ((rest[0] ?? 0) << 8) | (rest[1] ?? 0);
      const rows = ((rest[2] ?? 0) << 8) | (rest[3] ?? 0);
      if (columns > 0 && rows > 0) this.on.resize(Math.min(columns, 1000), Math.min(rows, 1000));
    } else if (option === OPT_TTYPE && rest[0] === TTYPE_IS) {
      const name = Buffer.from(rest.slice(1))
        .toString("latin1")
        .replace(/[^\x20-\x7e]/g, "");
      this.on.terminalType(name);
    }
  }
}
