/**
 * JSON-RPC 2.0 over HTTP POST (node:http), single and batch requests, with the harness's fault
 * injection applied per HTTP request before any method runs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Faults } from './faults.ts';
import { RpcError } from './wire.ts';

type Handler = (params: unknown[]) => unknown;

/** A listening JSON-RPC server. */
export interface RpcServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface JsonRpcRequest {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

/** Starts the server on 127.0.0.1:`port` (0 = a free port). `requestCount` is incremented per call. */
export async function startRpcServer({
  port,
  methods,
  faults,
  requestCount,
}: {
  port: number;
  methods: ReadonlyMap<string, Handler>;
  faults: Faults;
  requestCount: Map<string, number>;
}): Promise<RpcServer> {
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { jsonrpc: '2.0', id: null, error: { code: -32603, message: String(err) } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      send(res, 200, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
      return;
    }
    const calls: JsonRpcRequest[] = Array.isArray(body) ? (body as JsonRpcRequest[]) : [body as JsonRpcRequest];
    const names = calls.map((c) => (typeof c?.method === 'string' ? c.method : ''));
    for (const n of names) requestCount.set(n, (requestCount.get(n) ?? 0) + 1);

    const fault = faults.take(names);
    if (fault?.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
    if (fault?.hang) return; // never answer: the client's timeout must fire
    if (fault?.httpStatus) {
      const message = fault.httpStatus === 429 ? 'Too Many Requests' : 'Internal Server Error';
      send(res, fault.httpStatus, { jsonrpc: '2.0', id: null, error: { code: fault.httpStatus, message } });
      return;
    }

    const answers = calls.map((c) => answer(c));
    if (Array.isArray(body) && answers.length === 0) {
      send(res, 200, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid request: empty batch' } });
      return;
    }
    send(res, 200, Array.isArray(body) ? answers : answers[0]);
  }

  function answer(call: JsonRpcRequest): unknown {
    const id = call?.id ?? null;
    if (typeof call !== 'object' || call === null || typeof call.method !== 'string') {
      return { jsonrpc: '2.0', id, error: { code: -32600, message: 'Invalid request' } };
    }
    const handler = methods.get(call.method);
    if (!handler) return { jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${call.method}` } };
    const params = call.params === undefined ? [] : call.params;
    if (!Array.isArray(params)) return { jsonrpc: '2.0', id, error: { code: -32602, message: 'Invalid params: expected an array' } };
    try {
      return { jsonrpc: '2.0', id, result: handler(params) };
    } catch (err) {
      if (err instanceof RpcError) {
        return { jsonrpc: '2.0', id, error: { code: err.code, message: err.message, ...(err.data === undefined ? {} : { data: err.data }) } };
      }
      return { jsonrpc: '2.0', id, error: { code: -32603, message: `Internal error: ${(err as Error).message}` } };
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hanging (faulted) requests and keep-alive sockets would hold close() open forever.
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
