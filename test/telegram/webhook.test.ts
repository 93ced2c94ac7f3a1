/**
 * docs/telegram.md webhook mode: updates at `/telegram/webhook` count only with
 * `X-Telegram-Bot-Api-Secret-Token` = the secret (403 otherwise, before the body is read or parsed),
 * then go through the same handlers. Mounted as src/service.ts mounts it: no body parser before it.
 */
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SILENT_LOG } from '../../src/workflow/ports.ts';
import { createBot, SECRET_HEADER, WEBHOOK_PATH, type BotHandle } from '../../src/telegram/bot.ts';
import { CHAT, dataFor, freePort, startWorld, TOKEN, type World } from './support.ts';

let w: World;
let hook: BotHandle;
let server: Server;
let url: string;
const SECRET = 'hook-secret_123';

beforeAll(async () => {
  w = await startWorld();
  await w.recordLoss();
  await w.bot.stop(); // the polling bot gives way to the webhook one
  const port = await freePort();
  url = `http://127.0.0.1:${port}${WEBHOOK_PATH}`;
  hook = createBot({ token: TOKEN, apiRoot: w.apiRoot, workflow: w.wf, log: SILENT_LOG, notifier: w.notifier, webhook: { url, secret: SECRET } });
  const app = express();
  app.post(WEBHOOK_PATH, (req, res) => void hook.webhookHandler!(req, res));
  await new Promise<void>((resolve) => {
    server = app.listen(port, '127.0.0.1', () => resolve());
  });
  await hook.start();
});
afterAll(async () => {
  await hook.stop();
  await new Promise((r) => server.close(r));
  await w.close();
});

const update = (id: number, data: string, messageId: number) => ({
  update_id: id,
  callback_query: { id: String(id), chat_instance: '1', data, from: { id: 1001, is_bot: false, first_name: 'Alice' }, message: { message_id: messageId, date: 0, chat: { id: CHAT, type: 'group', title: 'backstop' } } },
});
const post = (body: unknown, secret?: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(secret !== undefined ? { [SECRET_HEADER]: secret } : {}) }, body: JSON.stringify(body) });

describe('webhook mode', () => {
  it('answers 403 without the secret header or with a wrong one, and counts nothing', async () => {
    const { row, messageId } = await w.freshProposal();
    const data = await dataFor(w.store, row.rowId, 'a');
    expect((await post(update(1, data, messageId))).status).toBe(403);
    expect((await post(update(2, data, messageId), 'wrong')).status).toBe(403);
    expect((await post(update(3, data, messageId), `${SECRET}x`)).status).toBe(403);
    expect(await w.store.votes(row.rowId)).toEqual([]);
  });

  it('checks the secret before parsing: a wrong secret with malformed or oversized JSON is 403, not 400 or 413', async () => {
    const send = (body: string | Uint8Array<ArrayBuffer>, secret?: string, type = 'application/json') =>
      fetch(url, { method: 'POST', headers: { 'content-type': type, ...(secret !== undefined ? { [SECRET_HEADER]: secret } : {}) }, body: typeof body === 'string' ? body : new Blob([body]) });
    expect((await send('{"update_id": 1,', 'wrong')).status).toBe(403);
    expect((await send('{"update_id": 1,')).status).toBe(403);
    expect((await send(new Uint8Array(2 * 1024 * 1024).fill(0x7b), 'wrong')).status).toBe(403);
    // With the secret, the body is parsed: malformed 400, oversized 413, not JSON 400.
    expect((await send('{"update_id": 1,', SECRET)).status).toBe(400);
    expect((await send(new Uint8Array(2 * 1024 * 1024).fill(0x20), SECRET)).status).toBe(413);
    expect((await send('update_id=1', SECRET, 'application/x-www-form-urlencoded')).status).toBe(400);
  });

  it('handles a press sent with the secret', async () => {
    const { row, messageId } = await w.freshProposal();
    const res = await post(update(10, await dataFor(w.store, row.rowId, 'a'), messageId), SECRET);
    expect(res.status).toBe(200);
    expect((await w.store.votes(row.rowId)).map((v) => v.telegramId)).toEqual([1001]);
  });
});
