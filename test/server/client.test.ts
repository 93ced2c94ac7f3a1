/**
 * sendSigned (src/server/client.ts), the signer behind `backstop webhook send`, the demo and the sandbox:
 * the same request sent twice within one second signs to the same bytes, which the server refuses as
 * replayed; a fresh call therefore signs anew in the next second, while a given timestamp is sent as is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSigned } from '../../src/server/client.ts';
import { lossBody, SANDBOX_SOURCE, startTestApi, type TestApi } from './helpers.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

const errorCode = (json: unknown) => (json as { error?: { code?: string } }).error?.code;

describe('sendSigned', () => {
  it('a second call within the same second is signed anew and reaches the route (409 loss-event-exists, not replayed)', async () => {
    await new Promise((r) => setTimeout(r, 1005 - (Date.now() % 1000)));
    const second = Math.floor(Date.now() / 1000);
    const request = { baseUrl: api.url, path: '/v1/loss-events', source: SANDBOX_SOURCE.id, key: SANDBOX_SOURCE.key, body: lossBody() };

    const first = await sendSigned({ ...request, timestamp: second });
    expect(first.status).toBe(201);
    expect(Math.floor(Date.now() / 1000)).toBe(second); // still the same second: the next call's first signature is a replay

    const again = await sendSigned(request);
    expect(again.status).toBe(409);
    expect(errorCode(again.json)).toBe('loss-event-exists');
    expect(Math.floor(Date.now() / 1000)).toBeGreaterThan(second);

    // With the timestamp given, the bytes are the caller's: sent once, the replay answer returned.
    const pinned = await sendSigned({ ...request, timestamp: second });
    expect(pinned.status).toBe(409);
    expect(errorCode(pinned.json)).toBe('replayed');
  });
});
