import { z } from "zod";

/** Alarm thresholds and behaviour; extended by the alarms module. */
export const alarmsConfigSchema = z.strictObject({});

export type AlarmsConfig = z.infer<typeof alarmsConfigSchema>;
