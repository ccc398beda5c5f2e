import { parseArgs } from "node:util";
import { pino } from "pino";
import { buildTopology } from "../../core/topology.js";
import { sendTestMail } from "../../protocols/email/adapter.js";
import { sendSyslogTest } from "../../protocols/syslog/adapter.js";
import { configPath, loadConfigOrReport } from "../config-file.js";
import { type CliCommand, EXIT } from "../types.js";

export const notifyCommand: CliCommand = {
  name: "notify",
  summary: "send a test message to the configured syslog destinations and e-mail recipients",
  usage:
    "bmsgw notify test [DESTINATION] [--config FILE]\n" +
    "  DESTINATION: a syslog destination name, or `email`; without it every enabled destination gets a test message",
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { config: { type: "string", short: "c" }, timeout: { type: "string" } },
    });
    if (positionals[0] !== "test" || positionals.length > 2) {
      process.stderr.write(`usage: ${this.usage}\n`);
      return EXIT.usage;
    }
    const config = loadConfigOrReport(configPath(values.config));
    if (!config) return EXIT.config;
    const wanted = positionals[1];
    const timeoutMs = Number(values.timeout ?? 5000);
    const log = pino({ level: process.env.BMSGW_LOG_LEVEL ?? "silent" });
    const syslog = config.notifications.syslog.filter((d) => (wanted ? d.name === wanted : d.enabled));
    const email = config.notifications.email;
    const mail = wanted ? wanted === "email" : email.enabled;
    if (wanted && syslog.length === 0 && !mail) {
      const names = [...config.notifications.syslog.map((d) => d.name), "email"].join(", ");
      process.stderr.write(`E_NOTIFY_UNKNOWN: no destination ${wanted}; configured: ${names}\n`);
      return EXIT.usage;
    }
    if (syslog.length === 0 && !mail) {
      process.stderr.write("nothing to test: no syslog destination and no e-mail is enabled in notifications\n");
      return EXIT.config;
    }
    let failed = 0;
    for (const destination of syslog) {
      const result = await sendSyslogTest(destination, log, timeoutMs);
      const where = `${destination.transport}://${destination.host}:${destination.port}`;
      if (result.ok) process.stdout.write(`syslog ${destination.name} (${where}): test message sent\n`);
      else {
        failed++;
        process.stderr.write(`E_NOTIFY_SYSLOG: syslog ${destination.name} (${where}): ${result.error}\n`);
      }
    }
    if (mail) {
      if (!email.host || !email.from) {
        process.stderr.write("E_NOTIFY_EMAIL: notifications.email needs host, from and recipients\n");
        return EXIT.config;
      } else {
        const topology = buildTopology(config);
        const result = await sendTestMail(
          email,
          { site: topology.site, strings: topology.strings, ...(email.webUiUrl ? { webUiUrl: email.webUiUrl } : {}) },
          log,
        );
        if (result.ok) process.stdout.write(`email: test mail sent to ${result.recipients.join(", ")}\n`);
        else {
          failed++;
          process.stderr.write(`E_NOTIFY_EMAIL: email via ${email.host}: ${result.error}\n`);
        }
      }
    }
    return failed > 0 ? EXIT.unreachable : EXIT.ok;
  },
};
