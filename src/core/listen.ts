/** What every TCP listener (net.Server, ssh2.Server) offers for binding. */
interface Bindable {
  listen(port: number, host: string, callback: () => void): unknown;
  once(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
  address(): unknown;
}

/** Binds a listener and resolves with the port actually bound (port 0 picks a free one); rejects on bind errors. */
export async function listenOn(server: Bindable, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as { port?: number } | string | null;
  return typeof address === "object" && address?.port !== undefined ? address.port : port;
}

/** The URL a listener announces in health and the start banner, e.g. `ssh://[::1]:2222`. */
export function listenerUrl(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
}
