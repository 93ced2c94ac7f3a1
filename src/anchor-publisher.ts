/**
 * Sends a copy of the audit head out of the machine after each signing step (docs/audit.md anchor): to every
 * policy chat through the notifier, and as JSON to `AUDIT_ANCHOR_URL` when set. Each copy carries
 * `backstop audit verify --expect-seq N --expect-hash H`, so restoring an older log is caught later
 * by anyone holding the message. Publishing never throws: a failed copy is logged, signing goes on.
 */
import { anchorMessage, anchorPayload } from './store/anchor.ts';
import type { AuditHead } from './store/audit.ts';
import type { AuditAnchor, Log } from './workflow/ports.ts';

export interface AnchorPublisherOptions {
  /** The log's current head (the store's newest entry). */
  readonly head: () => Promise<AuditHead | null>;
  /** The database identity sent to the URL (no password). */
  readonly database: string;
  /** The chats to tell: every loaded policy's chat, read at each publish (policies reload). */
  readonly chats: () => readonly number[];
  readonly alert?: (chatId: number, text: string) => Promise<void>;
  /** `AUDIT_ANCHOR_URL`. */
  readonly url?: string;
  readonly log: Log;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
}

export function anchorPublisher(o: AnchorPublisherOptions): AuditAnchor {
  const post = o.fetch ?? fetch;
  const now = o.now ?? (() => new Date());
  return {
    async publish(reason: string): Promise<void> {
      let read: AuditHead | null;
      try {
        read = await o.head();
      } catch (err) {
        o.log.warn({ err: (err as Error).message, reason }, 'audit anchor not published: the head could not be read');
        return;
      }
      if (read === null) return;
      const head = read;
      const sends: Promise<void>[] = [];
      if (o.alert) {
        const text = anchorMessage(reason, head);
        for (const chatId of new Set(o.chats())) sends.push(o.alert(chatId, text));
      }
      if (o.url !== undefined) {
        const url = o.url;
        sends.push(
          (async () => {
            const res = await post(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(anchorPayload(reason, head, o.database, now())),
              signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
            });
            await res.body?.cancel();
            if (!res.ok) throw new Error(`AUDIT_ANCHOR_URL answered HTTP ${res.status}`);
          })(),
        );
      }
      const results = await Promise.allSettled(sends);
      for (const r of results) {
        if (r.status === 'rejected') o.log.warn({ err: (r.reason as Error).message, seq: head.seq, reason }, 'audit anchor copy not delivered');
      }
    },
  };
}
