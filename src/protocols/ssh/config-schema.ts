import { z } from "zod";
import { listener } from "../../core/config/primitives.js";

export const sshConfigSchema = z.strictObject({
  ...listener({ enabled: false, host: "0.0.0.0", port: 22 }),
});

export type SshConfig = z.infer<typeof sshConfigSchema>;
