/** Listens with an app on a port (0 = a free one) and closes it, connections included. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface RunningHttpServer {
  /** e.g. `http://127.0.0.1:8080` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the HTTP server; `host` defaults to 127.0.0.1 (pass 0.0.0.0 to serve other hosts). */
export async function startHttpServer(input: { readonly app: Express; readonly port: number; readonly host?: string }): Promise<RunningHttpServer> {
  const host = input.host ?? '127.0.0.1';
  const server = createServer(input.app);
  // Slow or stuck clients cannot hold a connection for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(input.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
