import type {
  Action,
  AuthService,
  CommandRequest,
  CommandResult,
  GatewayCommands,
  Principal,
} from "../core/adapter.js";
import { EVENT_CATALOGUE, eventByName } from "../core/alarms/catalogue.js";
import type { EventRecord } from "../core/events.js";

type Kind = CommandRequest["kind"];
type Handler<K extends Kind> = (
  request: Extract<CommandRequest, { kind: K }>,
  principal: Principal,
) => Promise<CommandResult>;

const ACTION: Record<Kind, Action> = {
  equalize: "equalize",
  "measure-resistance": "measure",
  "capture-baseline": "measure",
  output: "output.override",
  "alarm-ack": "alarm.acknowledge",
  sim: "simulator.control",
  "config-set": "config.write",
  discover: "config.write",
};

/**
 * Routes operator commands to whoever implements them (poller, alarms, simulator), after the single authorization
 * check, and audits every attempt.
 */
export class CommandRouter implements GatewayCommands {
  private readonly handlers = new Map<Kind, Handler<Kind>>();

  constructor(
    private readonly auth: AuthService,
    private readonly emit: (record: EventRecord) => void,
  ) {}

  handle<K extends Kind>(kind: K, handler: Handler<K>): void {
    this.handlers.set(kind, handler as unknown as Handler<Kind>);
  }

  async run(principal: Principal, request: CommandRequest): Promise<CommandResult> {
    const describe = `${request.kind}${"args" in request ? ` ${request.args.join(" ")}` : ""}`;
    if (!this.auth.authorize(principal, ACTION[request.kind])) {
      this.audit({
        name: "command",
        user: principal.user,
        text: `refused ${describe}: role too low`,
        detail: { outcome: "refused" },
      });
      return { ok: false, error: `${principal.user} may not run ${request.kind}`, code: "E_FORBIDDEN" };
    }
    const handler = this.handlers.get(request.kind);
    if (!handler)
      return { ok: false, error: `${request.kind} is not available in this gateway`, code: "E_UNAVAILABLE" };
    let result: CommandResult;
    try {
      result = await handler(request, principal);
    } catch (error) {
      result = { ok: false, error: (error as Error).message, code: "E_FAILED" };
    }
    // Acknowledgements and configuration changes write their own, more specific audit records.
    const ownRecord = request.kind === "alarm-ack" || (request.kind === "config-set" && result.ok);
    if (!ownRecord && !(principal.routine && result.ok))
      this.audit({
        name: "command",
        user: principal.user,
        text: `${describe}: ${result.ok ? result.message : result.error}`,
        detail: { outcome: result.ok ? "ok" : "failed", source: principal.source },
      });
    return result;
  }

  audit(record: AuditInput): void {
    this.emit(auditEvent(record));
  }
}

type AuditInput = Parameters<GatewayCommands["audit"]>[0];

/** Stamps an audit record with its catalogue id and severity (unknown names are filed as `command`). */
export function auditEvent(record: AuditInput): EventRecord {
  const def = EVENT_CATALOGUE.find((d) => d.name === record.name) ?? eventByName("command");
  return {
    ...record,
    seq: 0,
    time: Date.now(),
    kind: "audit",
    eventId: def.eventId,
    name: def.name,
    severity: def.severity,
  };
}
