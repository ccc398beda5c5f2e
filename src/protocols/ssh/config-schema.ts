import { z } from "zod";
import { duration, listener } from "../../core/config/primitives.js";

export const sshConfigSchema = z.strictObject({
  ...listener({ enabled: false, host: "0.0.0.0", port: 22 }),
  hostKey: z.string().min(1).default("ssh/host-ed25519.key").meta({
    description: "Host key file, relative to storage.path; an ed25519 key is generated there on first start.",
  }),
  idleTimeout: duration.default(15 * 60_000).meta({ description: "Closes sessions idle this long (0 = never)." }),
  loginTimeout: duration.default(30_000).meta({ description: "Closes connections that have not logged in by then." }),
  maxSessions: z.number().int().min(1).max(1000).default(8).meta({ description: "Concurrent logged-in connections." }),
});

export type SshConfig = z.infer<typeof sshConfigSchema>;
