import { z } from "zod";

/** E-mail notification; extended by the e-mail adapter. */
export const emailConfigSchema = z.strictObject({ enabled: z.boolean().default(false) });

export type EmailConfig = z.infer<typeof emailConfigSchema>;
