/**
 * Syslog wire formats: RFC 5424 (with structured data, §6.3 escaping), the BSD format of RFC 3164, and the
 * octet-counting frame of RFC 6587 §3.4.1 used on TCP and TLS (RFC 5425 §4.3).
 */

/** One SD-ELEMENT: an SD-ID and its parameters in order. */
export interface StructuredElement {
  readonly id: string;
  readonly params: readonly (readonly [name: string, value: string])[];
}

export interface SyslogMessage {
  /** 0–23 */
  readonly facility: number;
  /** 0 (emergency) – 7 (debug) */
  readonly severity: number;
  readonly time: number;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  /** 1–32 printable US-ASCII characters, or empty for NILVALUE. */
  readonly msgId: string;
  readonly structuredData: readonly StructuredElement[];
  readonly text: string;
}

/** PARAM-VALUE escaping (RFC 5424 §6.3.3): `"`, `\` and `]` get a backslash. */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** SD-NAME: 1–32 printable US-ASCII except `=`, space, `]` and `"`; anything else becomes `_`. */
export function sdName(name: string): string {
  const cleaned = name.replace(/[^!-~]|[= \]"]/g, "_").slice(0, 32);
  return cleaned || "_";
}

/** Printable US-ASCII without spaces, cut to `max` characters; `-` (NILVALUE) when empty. */
export function headerField(value: string, max: number): string {
  const cleaned = value.replace(/[^!-~]/g, "_").slice(0, max);
  return cleaned || "-";
}

export function formatStructuredData(elements: readonly StructuredElement[]): string {
  if (elements.length === 0) return "-";
  return elements
    .map((e) => `[${sdName(e.id)}${e.params.map(([n, v]) => ` ${sdName(n)}="${escapeParamValue(v)}"`).join("")}]`)
    .join("");
}

export function pri(message: Pick<SyslogMessage, "facility" | "severity">): number {
  return message.facility * 8 + message.severity;
}

/** `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG` (RFC 5424 §6). */
export function formatRfc5424(m: SyslogMessage): string {
  const header = [
    `<${pri(m)}>1`,
    new Date(m.time).toISOString(),
    headerField(m.hostname, 255),
    headerField(m.appName, 48),
    headerField(m.procId, 128),
    headerField(m.msgId, 32),
  ].join(" ");
  const text = oneLine(m.text);
  return `${header} ${formatStructuredData(m.structuredData)}${text ? ` ${text}` : ""}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG` (RFC 3164 §4.1), local time as the RFC asks. The BSD format has no
 * MSGID or structured data, so both are written into MSG as `msgid: text key=value …`.
 */
export function formatRfc3164(m: SyslogMessage): string {
  const d = new Date(m.time);
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const tag = headerField(m.appName, 32).replace(/[[\]:]/g, "_");
  const pairs = m.structuredData.flatMap((e) => e.params.map(([n, v]) => `${sdName(n)}=${quoteIfNeeded(v)}`));
  const body = [m.msgId ? `${m.msgId}:` : "", oneLine(m.text), ...pairs].filter(Boolean).join(" ");
  return `<${pri(m)}>${stamp} ${headerField(m.hostname, 255)} ${tag}[${headerField(m.procId, 16)}]: ${body}`;
}

function quoteIfNeeded(value: string): string {
  return /^[!-~]+$/.test(value) && !value.includes('"') ? value : `"${escapeParamValue(value)}"`;
}

/** Syslog messages are one line: receivers split on LF in non-transparent framing and many viewers do too. */
function oneLine(text: string): string {
  return text.replace(/\r?\n/g, " ");
}

/** RFC 6587 octet counting: `MSG-LEN SP SYSLOG-MSG`, length in octets of the UTF-8 message. */
export function frameOctetCounting(message: string): Buffer {
  const body = Buffer.from(message, "utf8");
  return Buffer.concat([Buffer.from(`${body.length} `, "ascii"), body]);
}
