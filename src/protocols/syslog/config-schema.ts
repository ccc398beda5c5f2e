import { z } from "zod";

/** Syslog destinations; extended by the syslog adapter. */
export const syslogConfigSchema = z.array(z.strictObject({})).default([]);

export type SyslogConfig = z.infer<typeof syslogConfigSchema>;
