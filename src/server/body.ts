/**
 * Reads a request's raw bytes with a hard limit (docs/api.md: 413 above 64 KiB, before reading more).
 * A declared Content-Length above the limit is refused before any byte is read; a chunked body is
 * refused as soon as it crosses the limit. What the client still sends is discarded (up to a cap,
 * then the socket is closed) so that it can read the 413 instead of a reset.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.ts';

/** docs/api.md: 64 KiB. */
export const BODY_LIMIT_BYTES = 64 * 1024;
/** Bytes discarded after a 413 before the connection is cut. */
const DISCARD_CAP_BYTES = 1024 * 1024;

const tooLarge = (limit: number) => new HttpError(413, 'payload-too-large', `the request body is larger than ${limit} bytes`);

/** The body's bytes; throws 413 (and starts discarding the rest) when it exceeds `limit`. */
export function readRawBody(req: IncomingMessage, limit = BODY_LIMIT_BYTES): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    discardRest(req);
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        discardRest(req);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new HttpError(400, 'body-unreadable', `the request body could not be read: ${err.message}`));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function discardRest(req: IncomingMessage): void {
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_CAP_BYTES) req.socket.destroy();
  });
  req.on('error', () => {});
  req.resume();
}
