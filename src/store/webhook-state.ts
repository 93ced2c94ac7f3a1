/**
 * What signed requests leave behind (docs/api.md): final answers kept per Idempotency-Key, and request
 * signatures remembered so a replay is refused; both pruned after their windows.
 */
import type { AuditedWriter, AuditNote } from './audited-writer.ts';
import { date, iso, num } from './rows.ts';

export interface WebhookDelivery {
  readonly source: string;
  readonly idempotencyKey: string;
  readonly bodyHash: string;
  readonly statusCode: number;
  readonly responseBody: string;
  readonly at: Date;
}

/** `replayed` when the signature was already remembered (nothing is written then). */
export type RememberResult = 'new' | 'replayed';

export interface WebhookStateRepository {
  storeDelivery(input: WebhookDelivery): Promise<void>;
  getDelivery(source: string, idempotencyKey: string): Promise<WebhookDelivery | null>;
  /** Remembers a request signature; `note` lets a refusal's audit entry be this one entry. */
  rememberSignature(input: { signature: string; at: Date; note?: AuditNote }): Promise<RememberResult>;
  isSignatureRemembered(signature: string): Promise<boolean>;
  /** Deletes deliveries at or before `deliveriesBefore` and signatures at or before `signaturesBefore`. */
  pruneWebhookState(input: { deliveriesBefore: Date; signaturesBefore: Date }): Promise<{ deliveries: number; signatures: number }>;
}

export class SqlWebhookState implements WebhookStateRepository {
  constructor(private readonly w: AuditedWriter) {}

  /**
   * Stores a final answer for its Idempotency-Key. Not audited on its own: the request's own audit
   * entry (webhook.accepted / webhook.refused, which names the key) records it, so an authenticated
   * refusal stays one audit entry and one replay record (docs/api.md).
   */
  async storeDelivery(input: WebhookDelivery): Promise<void> {
    await this.w.mutate(async (tx) => {
      await tx.run(
        `INSERT INTO webhook_deliveries (source, idempotency_key, body_hash, status_code, response_body, at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (source, idempotency_key) DO NOTHING`,
        [input.source, input.idempotencyKey, input.bodyHash, input.statusCode, input.responseBody, iso(input.at)],
      );
      return { value: undefined, audit: null };
    });
  }

  async getDelivery(source: string, idempotencyKey: string): Promise<WebhookDelivery | null> {
    const [r] = await this.w.engine.read.all('SELECT * FROM webhook_deliveries WHERE source = $1 AND idempotency_key = $2', [source, idempotencyKey]);
    if (r === undefined) return null;
    return { source: r.source, idempotencyKey: r.idempotency_key, bodyHash: r.body_hash, statusCode: num(r.status_code), responseBody: r.response_body, at: date(r.at) };
  }

  async rememberSignature(input: { signature: string; at: Date; note?: AuditNote }): Promise<RememberResult> {
    // Group-committed: a burst of authenticated refusals shares transactions (audited-writer.ts).
    return this.w.mutateGrouped(async (tx) => {
      const n = await tx.run('INSERT INTO replayed_signatures (signature, at) VALUES ($1, $2) ON CONFLICT (signature) DO NOTHING', [input.signature, iso(input.at)]);
      if (n === 0) return { value: 'replayed' as RememberResult, audit: null };
      return { value: 'new' as RememberResult, audit: { type: input.note?.type ?? 'webhook.signature', payload: { ...input.note?.payload, signature: input.signature } } };
    });
  }

  async isSignatureRemembered(signature: string): Promise<boolean> {
    return (await this.w.engine.read.all('SELECT 1 AS x FROM replayed_signatures WHERE signature = $1', [signature])).length > 0;
  }

  async pruneWebhookState(input: { deliveriesBefore: Date; signaturesBefore: Date }): Promise<{ deliveries: number; signatures: number }> {
    return this.w.mutate(async (tx) => {
      const deliveries = await tx.run('DELETE FROM webhook_deliveries WHERE at <= $1', [iso(input.deliveriesBefore)]);
      const signatures = await tx.run('DELETE FROM replayed_signatures WHERE at <= $1', [iso(input.signaturesBefore)]);
      const value = { deliveries, signatures };
      return { value, audit: deliveries + signatures === 0 ? null : { type: 'webhook.pruned', payload: { ...value, ...input } } };
    });
  }
}
