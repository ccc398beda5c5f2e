import { z } from "zod";

/** Login providers and lockout policy; extended by the auth module. */
export const authConfigSchema = z.strictObject({});

export type AuthConfig = z.infer<typeof authConfigSchema>;
