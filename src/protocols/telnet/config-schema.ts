import { z } from "zod";
import { duration, listener } from "../../core/config/primitives.js";

/** Telnet sends passwords in clear text: off by default, logged as insecure when enabled. */
export const telnetConfigSchema = z.strictObject({
  ...listener({ enabled: false, host: "0.0.0.0", port: 23 }),
  idleTimeout: duration.default(15 * 60_000).meta({ description: "Closes sessions idle this long (0 = never)." }),
  loginTimeout: duration.default(60_000).meta({ description: "Closes connections that have not logged in by then." }),
  maxSessions: z.number().int().min(1).max(1000).default(4).meta({ description: "Concurrent connections." }),
});

export type TelnetConfig = z.infer<typeof telnetConfigSchema>;
