import { z } from "zod";
import { duration, listener, port } from "../../core/config/primitives.js";

export const httpTlsSchema = z
  .strictObject({
    enabled: z.boolean().default(true).meta({
      description:
        "Serve HTTPS (default). Plain HTTP only behind a TLS-terminating reverse proxy on the same host: cookies then lose the Secure flag.",
    }),
    certFile: z.string().min(1).optional().meta({
      description: "PEM certificate chain; absent = a self-signed certificate generated under storage.path.",
    }),
    keyFile: z.string().min(1).optional().meta({ description: "PEM private key of certFile." }),
    selfSignedNames: z
      .array(z.string().min(1))
      .default(["localhost", "127.0.0.1", "::1"])
      .meta({ description: "Host names / IP addresses written into the generated certificate's subjectAltName." }),
  })
  .superRefine((tls, ctx) => {
    if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
      ctx.addIssue({
        code: "custom",
        path: [tls.certFile === undefined ? "certFile" : "keyFile"],
        message: "certFile and keyFile go together",
      });
  });

export const httpConfigSchema = z.strictObject({
  ...listener({ enabled: false, host: "0.0.0.0", port: 443 }),
  tls: httpTlsSchema.default({ enabled: true, selfSignedNames: ["localhost", "127.0.0.1", "::1"] }),
  redirect: z
    .strictObject({
      enabled: z.boolean().default(false),
      port: port.default(80),
    })
    .default({ enabled: false, port: 80 })
    .meta({ description: "A plain-HTTP listener on the same host that redirects every request to HTTPS." }),
  session: z
    .strictObject({
      idleTimeout: duration.default(15 * 60_000).meta({ description: "A session unused this long ends." }),
      maxAge: duration.default(12 * 3_600_000).meta({ description: "A session ends this long after login." }),
      maxSessions: z.number().int().min(1).max(100_000).default(1000),
    })
    .default({ idleTimeout: 15 * 60_000, maxAge: 12 * 3_600_000, maxSessions: 1000 }),
  tokensFile: z.string().min(1).default("http/api-tokens.json").meta({
    description: "API tokens (SHA-256 hashes only), relative to storage.path unless absolute.",
  }),
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(256 * 1024)
    .meta({ description: "Larger request bodies are refused with 413." }),
  liveInterval: duration.default(1000).meta({
    description: "Server-Sent Events: at most one snapshot message per client per interval (events go at once).",
  }),
  maxLiveClients: z.number().int().min(1).max(10_000).default(100),
  uiAssetsDir: z.string().min(1).optional().meta({
    description: "Folder of the built web UI; default the package's dist/http-ui.",
  }),
});

export type HttpConfig = z.infer<typeof httpConfigSchema>;
