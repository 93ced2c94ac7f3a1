/**
 * Shared by the signed-approval tests: the roster's ed25519 keys (fixed seeds, node:crypto — not the
 * library the server verifies with), the example policy with `signed` roles, Telegram `initData` made
 * as Telegram makes it, and a workflow world with a proposal awaiting approval under that policy.
 */
import { createHmac } from 'node:crypto';
import { parseDocument } from 'yaml';
import { parsePolicyText } from '../../src/policy/load.ts';
import { PolicyRegistry } from '../../src/policy/registry.ts';
import type { ApprovalMode } from '../../src/policy/schema.ts';
import { examplePolicyText } from '../../src/sandbox/fixtures/scenario.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { Ed25519Keypair } from '../../src/store/keys.ts';
import type { ProposalRecord } from '../../src/store/types.ts';
import { approvalMessage, offchainMessageLegacy, offchainMessageV0, base58, type Preimage } from '../../src/workflow/signed-approval.ts';
import { createApp } from '../../src/server/app.ts';
import { startHttpServer } from '../../src/server/listen.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { SILENT_LOG, type Log } from '../../src/workflow/ports.ts';
import { startWorkflowWorld, type WorkflowWorld } from './workflow-world.ts';

/** The example roster's members and their keys. */
export const KEYS = {
  alice: Ed25519Keypair.fromSeed(new Uint8Array(32).fill(41)),
  bob: Ed25519Keypair.fromSeed(new Uint8Array(32).fill(42)),
  carol: Ed25519Keypair.fromSeed(new Uint8Array(32).fill(43)),
  dave: Ed25519Keypair.fromSeed(new Uint8Array(32).fill(44)),
  /** On no roster. */
  mallory: Ed25519Keypair.fromSeed(new Uint8Array(32).fill(45)),
} as const;
export const IDS = { alice: 1001, bob: 2001, carol: 2002, dave: 2003 } as const;

/** The example policy's text with approval modes and every member's signer. */
export function signedPolicyText(modes: { curators?: ApprovalMode; council?: ApprovalMode } = { curators: 'signed', council: 'signed' }): string {
  const doc = parseDocument(examplePolicyText());
  if (modes.curators) doc.setIn(['curators', 'approval'], modes.curators);
  if (modes.council) doc.setIn(['council', 'approval'], modes.council);
  doc.setIn(['curators', 'members', 0, 'signer'], KEYS.alice.publicKey);
  doc.setIn(['council', 'members', 0, 'signer'], KEYS.bob.publicKey);
  doc.setIn(['council', 'members', 1, 'signer'], KEYS.carol.publicKey);
  doc.setIn(['council', 'members', 2, 'signer'], KEYS.dave.publicKey);
  return doc.toString();
}

export function signedRegistry(modes?: { curators?: ApprovalMode; council?: ApprovalMode }): PolicyRegistry {
  const parsed = parsePolicyText(signedPolicyText(modes), 'policies/signed.yaml');
  if (!parsed.ok) throw new Error(`signed policy is invalid: ${JSON.stringify(parsed.problems)}`);
  return PolicyRegistry.of([{ file: 'policies/signed.yaml', policy: parsed.policy, revision: parsed.revision }]);
}

/** The message of a proposal row as it stands (or with `over` changed: a stale digest, an old epoch). */
export function messageOf(row: ProposalRecord, over: { digest?: string; epoch?: number } = {}): string {
  return approvalMessage({ multisig: row.multisig, transactionIndex: row.transactionIndex, digest: over.digest ?? row.digest!, policyRevision: row.policyRevision!, epoch: over.epoch ?? row.epoch });
}

/** A base58 signature of `message` by `key` over the given preimage (what each tool signs). */
export function signMessage(key: Ed25519Keypair, message: string, preimage: Preimage = 'offchain-v0'): string {
  const bytes = preimage === 'raw' ? new TextEncoder().encode(message) : preimage === 'offchain-legacy' ? offchainMessageLegacy(message) : offchainMessageV0(message, key.publicKeyBytes);
  return base58(key.sign(bytes));
}

export const BOT_TOKEN = '123456789:TEST-bot-token-for-initData-only';

/** `initData` as Telegram builds it: fields URL-encoded, `hash` = HMAC over the data-check-string. */
export function makeInitData(o: { userId: number; startParam?: string; authDate?: number; token?: string; extra?: Record<string, string> }): string {
  const fields: Record<string, string> = {
    auth_date: String(o.authDate ?? Math.floor(Date.now() / 1000)),
    chat_instance: '-4422671301238723',
    chat_type: 'supergroup',
    user: JSON.stringify({ id: o.userId, first_name: `User ${o.userId}`, username: `user${o.userId}`, language_code: 'en' }),
    ...(o.startParam ? { start_param: o.startParam } : {}),
    ...o.extra,
  };
  const check = Object.keys(fields).sort().map((k) => `${k}=${fields[k]}`).join('\n');
  const secret = createHmac('sha256', 'WebAppData').update(o.token ?? BOT_TOKEN).digest();
  const hash = createHmac('sha256', secret).update(check).digest('hex');
  return new URLSearchParams({ ...fields, hash }).toString();
}

/** A workflow world under the signed policy with proposal 1 awaiting approval. */
export async function startSignedWorld(modes?: { curators?: ApprovalMode; council?: ApprovalMode }): Promise<{ world: WorkflowWorld; row: ProposalRecord }> {
  const world = await startWorkflowWorld({ policies: signedRegistry(modes) });
  await world.recordLoss();
  const row = await world.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
  if (row.state !== 'awaiting-approval') throw new Error(`proposal 1 is ${row.state}, not awaiting approval`);
  return { world, row };
}

export const READ_TOKEN = 'page-read-token-0123456789abcdef';

/** The signed world behind the real HTTP app (API, page and Mini App) on 127.0.0.1. */
export interface SignedServer {
  readonly world: WorkflowWorld;
  readonly row: ProposalRecord;
  readonly url: string;
  close(): Promise<void>;
}

export async function startSignedServer(o: { modes?: { curators?: ApprovalMode; council?: ApprovalMode }; log?: Log; clock?: () => Date } = {}): Promise<SignedServer> {
  const { world, row } = await startSignedWorld(o.modes);
  const app = createApp({
    workflow: world.wf, apiReadToken: READ_TOKEN, readiness: {}, metrics: createMetrics({ processMetrics: false }), log: o.log ?? SILENT_LOG,
    telegramBotToken: BOT_TOKEN, ...(o.clock ? { clock: o.clock } : {}),
  });
  const http = await startHttpServer({ app, port: 0 });
  return {
    world, row, url: http.url,
    async close() {
      await http.close();
      await world.close();
    },
  };
}
