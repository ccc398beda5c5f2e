/**
 * Renders BMS-GATEWAY-MIB (SMIv2) from the layout in mapping.ts. Pure: same catalogues, same text.
 */
import {
  CONFORMANCE_ROOT,
  ENTERPRISE_NUMBER,
  MIB_MODULE,
  MIB_ROOT,
  NOTIFICATION_OBJECTS,
  NOTIFICATIONS,
  OBJECTS_ROOT,
  type ObjectDef,
  PRODUCT_OID,
  SCALAR_GROUPS,
  type Syntax,
  TABLES,
  type TableDef,
} from "./mapping.js";

const INDEX_RANGES: Record<string, string> = {
  bmsStringId: "(1..999)",
  bmsBlockStringId: "(1..999)",
  bmsBlockNumber: "(1..1000)",
  bmsAlarmId: "(1..4294967295)",
  bmsEventCounterEventId: "(1..65535)",
  bmsThresholdIndex: "(1..65535)",
};

/** SMI enumeration labels: `comm-lost` → `commLost`. */
export function enumLabel(state: string): string {
  return state.replace(/[-_ ]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** DisplayString is NVT ASCII (RFC 2579): units and texts are transliterated (° → deg, Ω → Ohm, µ → u). */
export function ascii(text: string): string {
  return text
    .replace(/°/g, "deg")
    .replace(/Ω/g, "Ohm")
    .replace(/µ/g, "u")
    .replace(/"/g, "'")
    .replace(/[^\x20-\x7e]/g, "?");
}

function wrap(text: string, indent: string): string {
  const words = ascii(text).split(/\s+/);
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line && line.length + w.length + 1 > 72) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return `"${lines.join(`\n${indent}`)}"`;
}

function syntaxText(syntax: Syntax, name: string): string {
  switch (syntax.kind) {
    case "integer":
      return syntax.scale === 1000 ? "BmsMilli" : syntax.scale === 10 ? "BmsDeci" : "Integer32";
    case "enum":
      return `INTEGER {\n${syntax.states.map((s, i) => `        ${enumLabel(s)}(${i})`).join(",\n")}\n    }`;
    case "truth":
      return "TruthValue";
    case "quality":
      return "BmsQuality";
    case "severity":
      return "BmsSeverity";
    case "text":
      return "DisplayString";
    case "unsigned":
      return "Unsigned32";
    case "counter":
      return "Counter32";
    case "index":
      return `Unsigned32 ${INDEX_RANGES[name] ?? "(1..4294967295)"}`;
  }
}

function entrySyntaxText(syntax: Syntax, name: string): string {
  // In a SEQUENCE, enumerations and ranges are not repeated.
  if (syntax.kind === "enum") return "INTEGER";
  if (syntax.kind === "index") return "Unsigned32";
  return syntaxText(syntax, name);
}

function objectType(o: ObjectDef, parent: string): string {
  return [
    `${o.name} OBJECT-TYPE`,
    `    SYNTAX      ${syntaxText(o.syntax, o.name)}`,
    ...(o.units ? [`    UNITS       "${ascii(o.units)}"`] : []),
    `    MAX-ACCESS  ${o.access}`,
    "    STATUS      current",
    `    DESCRIPTION\n        ${wrap(o.description, "         ")}`,
    `    ::= { ${parent} ${o.sub} }`,
    "",
  ].join("\n");
}

function table(t: TableDef, parent: string, sub: number): string {
  const width = Math.max(...t.columns.map((c) => c.name.length)) + 2;
  const sequence = t.columns.map((c) => `    ${c.name.padEnd(width)}${entrySyntaxText(c.syntax, c.name)}`).join(",\n");
  return [
    `${t.name} OBJECT-TYPE`,
    `    SYNTAX      SEQUENCE OF ${t.entryType}`,
    "    MAX-ACCESS  not-accessible",
    "    STATUS      current",
    `    DESCRIPTION\n        ${wrap(t.description, "         ")}`,
    `    ::= { ${parent} ${sub} }`,
    "",
    `${t.entryName} OBJECT-TYPE`,
    `    SYNTAX      ${t.entryType}`,
    "    MAX-ACCESS  not-accessible",
    "    STATUS      current",
    `    DESCRIPTION\n        ${wrap(`A row of ${t.name}.`, "         ")}`,
    `    INDEX       { ${t.index.join(", ")} }`,
    `    ::= { ${t.name} 1 }`,
    "",
    `${t.entryType} ::= SEQUENCE {\n${sequence}\n}`,
    "",
    ...t.columns.map((c) => objectType(c, t.entryName)),
  ].join("\n");
}

function group(name: string, objects: readonly string[], sub: number, description: string): string {
  return [
    `${name} OBJECT-GROUP`,
    `    OBJECTS     { ${objects.join(",\n                  ")} }`,
    "    STATUS      current",
    `    DESCRIPTION\n        ${wrap(description, "         ")}`,
    `    ::= { bmsGroups ${sub} }`,
    "",
  ].join("\n");
}

function assertLayout(): void {
  // The module text below hard-codes these relations; fail loudly if mapping.ts changes them.
  const same = (a: readonly number[], b: readonly number[]) => a.join(".") === b.join(".");
  if (!same(MIB_ROOT, [1, 3, 6, 1, 4, 1, ENTERPRISE_NUMBER])) throw new Error("MIB root moved");
  if (!same(OBJECTS_ROOT, [...MIB_ROOT, 1]) || !same(CONFORMANCE_ROOT, [...MIB_ROOT, 2]))
    throw new Error("MIB layout moved");
  if (!same(PRODUCT_OID, [...MIB_ROOT, 3, 1])) throw new Error("product OID moved");
}

export function renderMib(banner: string): string {
  assertLayout();
  const out: string[] = [];
  out.push(
    `-- ${banner}`,
    "-- Source: src/protocols/snmp/mapping.ts (point catalogue src/core/points.ts, events src/core/alarms/catalogue.ts).",
    "",
    `${MIB_MODULE} DEFINITIONS ::= BEGIN`,
    "",
    "IMPORTS",
    "    MODULE-IDENTITY, OBJECT-TYPE, NOTIFICATION-TYPE, OBJECT-IDENTITY,",
    "    Integer32, Unsigned32, Counter32, enterprises",
    "        FROM SNMPv2-SMI",
    "    TEXTUAL-CONVENTION, DisplayString, TruthValue",
    "        FROM SNMPv2-TC",
    "    MODULE-COMPLIANCE, OBJECT-GROUP, NOTIFICATION-GROUP",
    "        FROM SNMPv2-CONF;",
    "",
    "bmsGatewayMIB MODULE-IDENTITY",
    '    LAST-UPDATED "202501010000Z"',
    '    ORGANIZATION "bms-gateway project"',
    '    CONTACT-INFO "bms-gateway project, https://example.com/bms-gateway"',
    "    DESCRIPTION",
    `        ${wrap(`Battery-monitoring gateway: plant summary, string and block tables indexed by (string, block), active alarms, event counters, writable alarm thresholds and alarm notifications. The enterprise number ${ENTERPRISE_NUMBER} is the RFC 5612 documentation placeholder until the project registers its own.`, "         ")}`,
    '    REVISION     "202501010000Z"',
    "    DESCRIPTION",
    '        "Initial version."',
    `    ::= { enterprises ${ENTERPRISE_NUMBER} }`,
    "",
    "bmsNotifications OBJECT IDENTIFIER ::= { bmsGatewayMIB 0 }",
    "bmsObjects       OBJECT IDENTIFIER ::= { bmsGatewayMIB 1 }",
    "bmsConformance   OBJECT IDENTIFIER ::= { bmsGatewayMIB 2 }",
    "bmsProducts      OBJECT IDENTIFIER ::= { bmsGatewayMIB 3 }",
    "",
    "bmsProductGateway OBJECT-IDENTITY",
    "    STATUS      current",
    '    DESCRIPTION "The battery-monitoring gateway; the value of its sysObjectID."',
    "    ::= { bmsProducts 1 }",
    "",
    "BmsQuality ::= TEXTUAL-CONVENTION",
    "    STATUS      current",
    "    DESCRIPTION",
    `        ${wrap("Quality of a value: good(1) fresh and plausible; stale(2) no fresh reading; commLost(3) the device stopped answering; fault(4) sensor fault or implausible value.", "         ")}`,
    "    SYNTAX      INTEGER { good(1), stale(2), commLost(3), fault(4) }",
    "",
    "BmsSeverity ::= TEXTUAL-CONVENTION",
    "    STATUS      current",
    '    DESCRIPTION "Severity of an alarm or event."',
    "    SYNTAX      INTEGER { info(1), warning(2), critical(3) }",
    "",
    "BmsMilli ::= TEXTUAL-CONVENTION",
    '    DISPLAY-HINT "d-3"',
    "    STATUS      current",
    '    DESCRIPTION "A value in thousandths of its unit (e.g. mV for volts)."',
    "    SYNTAX      Integer32",
    "",
    "BmsDeci ::= TEXTUAL-CONVENTION",
    '    DISPLAY-HINT "d-1"',
    "    STATUS      current",
    '    DESCRIPTION "A value in tenths of its unit (e.g. 0.1 degC)."',
    "    SYNTAX      Integer32",
    "",
  );
  SCALAR_GROUPS.forEach((g, i) => {
    out.push(`${g.name} OBJECT IDENTIFIER ::= { bmsObjects ${i + 1} }`, "");
    for (const o of g.objects) out.push(objectType(o, g.name));
  });
  for (const t of TABLES) {
    const sub = t.oid[t.oid.length - 1] as number;
    out.push(table(t, "bmsObjects", sub));
  }
  const nSub = NOTIFICATION_OBJECTS.oid[NOTIFICATION_OBJECTS.oid.length - 1] as number;
  out.push(`${NOTIFICATION_OBJECTS.name} OBJECT IDENTIFIER ::= { bmsObjects ${nSub} }`, "");
  for (const o of NOTIFICATION_OBJECTS.objects) out.push(objectType(o, NOTIFICATION_OBJECTS.name));
  const notifObjects = NOTIFICATION_OBJECTS.objects.map((o) => o.name);
  for (const n of NOTIFICATIONS)
    out.push(
      [
        `${n.name} NOTIFICATION-TYPE`,
        `    OBJECTS     { ${notifObjects.join(",\n                  ")} }`,
        "    STATUS      current",
        `    DESCRIPTION\n        ${wrap(`${n.description} Carries string, block, event id, severity, value, threshold, text and event name.`, "         ")}`,
        `    ::= { bmsNotifications ${n.sub} }`,
        "",
      ].join("\n"),
    );
  out.push(
    "bmsGroups      OBJECT IDENTIFIER ::= { bmsConformance 1 }",
    "bmsCompliances OBJECT IDENTIFIER ::= { bmsConformance 2 }",
    "",
  );
  const groupNames: string[] = [];
  let groupSub = 1;
  for (const g of SCALAR_GROUPS) {
    const name = `${g.name}Group`;
    groupNames.push(name);
    out.push(
      group(
        name,
        g.objects.map((o) => o.name),
        groupSub++,
        g.description,
      ),
    );
  }
  for (const t of TABLES) {
    const name = `${t.name.replace(/Table$/, "")}Group`;
    groupNames.push(name);
    out.push(
      group(
        name,
        t.columns.filter((c) => c.access !== "not-accessible").map((c) => c.name),
        groupSub++,
        t.description,
      ),
    );
  }
  groupNames.push("bmsNotificationObjectGroup");
  out.push(group("bmsNotificationObjectGroup", notifObjects, groupSub++, "Objects carried by notifications."));
  out.push(
    [
      "bmsNotificationGroup NOTIFICATION-GROUP",
      `    NOTIFICATIONS { ${NOTIFICATIONS.map((n) => n.name).join(", ")} }`,
      "    STATUS      current",
      '    DESCRIPTION "Alarm notifications."',
      `    ::= { bmsGroups ${groupSub++} }`,
      "",
      "bmsCompliance MODULE-COMPLIANCE",
      "    STATUS      current",
      '    DESCRIPTION "What a bms-gateway implements: every group of this module."',
      "    MODULE      -- this module",
      `        MANDATORY-GROUPS { ${[...groupNames, "bmsNotificationGroup"].join(",\n                           ")} }`,
      "    ::= { bmsCompliances 1 }",
      "",
      "END",
      "",
    ].join("\n"),
  );
  return out.join("\n");
}
