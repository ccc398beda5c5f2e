import { isAbsolute, join } from "node:path";
import type { AuthContext, Connection, ServerChannel } from "ssh2";
import ssh2 from "ssh2";
import { ConsoleInterpreter } from "../../console/interpreter.js";
import { type ConsoleOutput, EXIT, fail } from "../../console/output.js";
import { crlf, MAX_LINE, runSession, type TerminalOutput } from "../../console/session.js";
import type { Adapter, AdapterContext, AuthResult, Principal } from "../../core/adapter.js";
import { listenerUrl, listenOn } from "../../core/listen.js";
import type { SshConfig } from "./config-schema.js";
import { loadOrCreateHostKey } from "./host-key.js";

/** Modern algorithms only; ssh2 adds strict key exchange (kex-strict-s-v00@openssh.com) by itself. */
const ALGORITHMS = {
  kex: ["curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384"],
  cipher: ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com"],
  hmac: ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"],
  serverHostKey: ["ssh-ed25519"],
  compress: ["none"],
} as const;

/** Unauthenticated connections allowed at once; more are dropped at once (connection floods). */
const MAX_PENDING = 64;
const METHODS = ["publickey", "password", "keyboard-interactive"] as const;

/**
 * SSH console: password, keyboard-interactive and public-key login through ctx.auth; interactive shell (pty, window
 * resize) and exec of single commands with their exit code, both on the shared console interpreter.
 */
export const sshAdapter: Adapter<SshConfig> = {
  name: "ssh",
  async start(ctx) {
    const { config } = ctx;
    const keyFile = isAbsolute(config.hostKey) ? config.hostKey : join(ctx.storagePath, config.hostKey);
    const hostKey = loadOrCreateHostKey(keyFile);
    if (hostKey.created) ctx.log.info({ file: keyFile }, "generated the SSH host key (ed25519)");
    const clients = new Set<Connection>();
    let pending = 0;
    let loggedIn = 0;

    const server = new ssh2.Server(
      {
        hostKeys: [hostKey.key],
        algorithms: {
          kex: [...ALGORITHMS.kex],
          cipher: [...ALGORITHMS.cipher],
          hmac: [...ALGORITHMS.hmac],
          serverHostKey: [...ALGORITHMS.serverHostKey],
          compress: [...ALGORITHMS.compress],
        },
        ident: "bmsgw",
      },
      (client, info) => {
        const remote = info.ip;
        ctx.health.count("connections");
        if (pending >= MAX_PENDING) {
          ctx.health.count("refused");
          client.end();
          return;
        }
        pending++;
        clients.add(client);
        let principal: Principal | undefined;
        let counted = false;
        const loginTimer = setTimeout(() => client.end(), config.loginTimeout || 30_000);
        const settle = () => {
          if (!counted) pending--;
          counted = true;
          clearTimeout(loginTimer);
        };
        client.on("error", (error) => ctx.log.debug({ err: error, remote }, "ssh connection error"));
        client.on("close", () => {
          settle();
          clients.delete(client);
          if (principal) loggedIn--;
        });
        client.on("authentication", (auth) => {
          void authenticate(ctx, auth, remote).then(
            (result) => {
              if (result?.ok) {
                principal = result.principal;
                auth.accept();
              } else if (result === undefined) {
                // Public-key query without a signature: let the client sign; the signed attempt decides.
                auth.accept();
              } else auth.reject([...METHODS]);
            },
            (error) => {
              ctx.log.error({ err: error }, "E_SSH_AUTH: authentication failed unexpectedly");
              auth.reject([...METHODS]);
            },
          );
        });
        client.on("ready", () => {
          settle();
          if (!principal) return client.end();
          if (loggedIn >= config.maxSessions) {
            ctx.log.warn({ remote, max: config.maxSessions }, "E_SSH_MAX_SESSIONS: session refused; raise maxSessions");
            ctx.health.count("refused");
            return client.end();
          }
          loggedIn++;
          ctx.health.count("logins");
          serveSessions(ctx, client, principal);
        });
      },
    );
    server.on("error", (error: Error) => ctx.log.error({ err: error }, "E_SSH_SERVER: ssh server error"));
    const port = await listenOn(server, config.host, config.port);
    ctx.health.listening(listenerUrl("ssh", config.host, port));
    ctx.defer(async () => {
      for (const client of clients) client.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
  },
};

/** Resolves the auth result, or undefined to tell a public-key client "sign with this key". */
async function authenticate(
  ctx: AdapterContext<SshConfig>,
  auth: AuthContext,
  remote: string,
): Promise<AuthResult | undefined> {
  const fail: AuthResult = { ok: false, reason: "invalid-credentials" };
  switch (auth.method) {
    case "password":
      return ctx.auth.authenticate(auth.username, auth.password, "ssh", remote);
    case "keyboard-interactive": {
      const answers = await new Promise<string[]>((resolve) =>
        auth.prompt([{ prompt: "Password: ", echo: false }], "bmsgw", "", (a) => resolve(a)),
      );
      return ctx.auth.authenticate(auth.username, answers[0] ?? "", "ssh", remote);
    }
    case "publickey": {
      if (!ctx.auth.authenticateKey) return fail;
      const parsed = ssh2.utils.parseKey(auth.key.data);
      const key = Array.isArray(parsed) ? parsed[0] : parsed;
      if (!key || key instanceof Error) return fail;
      if (!auth.signature || !auth.blob) return undefined;
      if (key.verify(auth.blob, auth.signature, auth.hashAlgo) !== true) return fail;
      const text = `${key.type} ${key.getPublicSSH().toString("base64")}`;
      return ctx.auth.authenticateKey(auth.username, text, "ssh", remote);
    }
    default:
      return fail;
  }
}

function serveSessions(ctx: AdapterContext<SshConfig>, client: Connection, principal: Principal): void {
  client.on("session", (acceptSession) => {
    const session = acceptSession();
    let pty: { cols: number; rows: number } | undefined;
    let channel: (ServerChannel & TerminalOutput) | undefined;
    session.on("pty", (accept, _reject, info) => {
      pty = { cols: info.cols || 80, rows: info.rows || 24 };
      accept?.();
    });
    session.on("window-change", (accept, _reject, info) => {
      pty = { cols: info.cols || 80, rows: info.rows || 24 };
      if (channel) {
        channel.columns = pty.cols;
        channel.rows = pty.rows;
        channel.emit("resize");
      }
      accept?.();
    });
    session.on("env", (accept) => accept?.());
    const interpreter = () =>
      new ConsoleInterpreter(
        { model: ctx.model, auth: ctx.auth, commands: ctx.commands, services: ctx.services, protocol: "ssh" },
        principal,
        pty !== undefined,
      );
    session.on("shell", (accept) => {
      const stream = accept() as ServerChannel & TerminalOutput;
      channel = stream;
      stream.columns = pty?.cols ?? 80;
      stream.rows = pty?.rows ?? 24;
      const site = ctx.model.current().topology.site;
      void runSession({
        input: stream,
        output: stream,
        interpreter: interpreter(),
        banner: `bmsgw console — ${site.name}, ${site.location}`,
        idleTimeoutMs: ctx.config.idleTimeout,
        terminal: pty !== undefined,
      }).then(() => {
        stream.exit(0);
        stream.end();
      });
    });
    session.on("exec", (accept, _reject, info) => {
      const stream = accept();
      // An overlong command is refused whole: running a truncated one could do something else than asked.
      const run: Promise<ConsoleOutput> =
        info.command.length > MAX_LINE
          ? Promise.resolve(
              fail(EXIT.usage, "E_CONSOLE_LINE_TOO_LONG", `commands are limited to ${MAX_LINE} characters`),
            )
          : interpreter().run(info.command);
      void run.then((result) => {
        const text = result.text ? `${result.text}\n` : "";
        if (result.exitCode === 0 || result.isResult) stream.write(pty ? crlf(text) : text);
        else stream.stderr.write(pty ? crlf(text) : text);
        stream.exit(result.exitCode);
        stream.end();
      });
    });
  });
}
