/** E-mail notification: alarms that pass the filter are mailed to the recipients of their severity over SMTP. */
import type { Logger } from "pino";
import type { Adapter, ModelReader } from "../../core/adapter.js";
import type { EventRecord } from "../../core/events.js";
import type { EmailConfig } from "./config-schema.js";
import { type MailContext, singleMail } from "./mapping.js";
import { createMailTransport, MailNotifier } from "./notifier.js";

function mailContext(config: EmailConfig, model: ModelReader): MailContext {
  const { topology } = model.current();
  return { site: topology.site, strings: topology.strings, ...(config.webUiUrl ? { webUiUrl: config.webUiUrl } : {}) };
}

export const emailAdapter: Adapter<EmailConfig> = {
  name: "email",
  async start(ctx) {
    const config = ctx.config;
    const transport = createMailTransport(config);
    const notifier = new MailNotifier({
      config,
      transport,
      context: () => mailContext(config, ctx.model),
      log: ctx.log,
      health: ctx.health,
    });
    const dispose = ctx.changes.on("event", (record) => notifier.handle(record));
    ctx.defer(async () => {
      dispose();
      await notifier.close();
    });
    ctx.log.info({ host: config.host, port: config.port, security: config.security }, "e-mail notification configured");
  },
};

/** Sends one test mail to every configured recipient; resolves with an error text on failure. */
export async function sendTestMail(
  config: EmailConfig,
  context: MailContext,
  log: Logger,
): Promise<{ ok: true; recipients: string[] } | { ok: false; error: string }> {
  const recipients = [
    ...new Set([...config.recipients.critical, ...config.recipients.warning, ...config.recipients.info]),
  ];
  const record: EventRecord = {
    seq: 0,
    time: Date.now(),
    kind: "event",
    eventId: 0,
    name: "notification-test",
    severity: "info",
    text: "Test message from bmsgw notify test: this address receives the gateway's alarm mails.",
  };
  const transport = createMailTransport(config);
  try {
    const content = singleMail(record, context);
    await transport.sendMail({
      from: config.from,
      to: recipients,
      subject: content.subject,
      text: content.text,
      headers: { "Auto-Submitted": "auto-generated" },
    });
    return { ok: true, recipients };
  } catch (error) {
    log.debug({ err: error }, "test mail failed");
    return { ok: false, error: (error as Error).message };
  } finally {
    transport.close();
  }
}
