/**
 * The co-signer's test world: the sandbox chain on the harness, a real SQLite store and Workflow,
 * and the real ChainCoSigner with the sandbox co-signer key. Shared by the tests and the child
 * process of the crash tests (which connects to the parent's harness by URL).
 */
import { createPublicKey, verify } from 'node:crypto';
import type { Address } from '@solana/kit';
import { VersionedTransaction } from '@solana/web3.js';
import { ChainReader } from '../../src/chain/reader.ts';
import type { AccountData } from '../../src/chain/types.ts';
import { ChainCoSigner } from '../../src/cosign/cosigner.ts';
import { keypairSigner, type Signer } from '../../src/cosign/signer.ts';
import type { SimulationMode } from '../../src/cosign/simulate.ts';
import { parsePolicyText, type LoadedPolicy } from '../../src/policy/load.ts';
import { PolicyRegistry } from '../../src/policy/registry.ts';
import type { Harness } from '../../src/sandbox/harness/index.ts';
import { examplePolicyText, PENDING_AMOUNT, proposalAccounts, sandboxLoss, SANDBOX_VAULT_LOSS, worldAccounts } from '../../src/sandbox/fixtures/scenario.ts';
import { withdrawalInstructions } from '../../src/sandbox/fixtures/squads.ts';
import { SANDBOX, SANDBOX_KEYPAIRS, SANDBOX_TELEGRAM } from '../../src/sandbox/seeds.ts';
import { Ed25519Keypair } from '../../src/store/keys.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/types.ts';
import type { Log, Notifier, ProposalCreator } from '../../src/workflow/ports.ts';
import { digestField, handlePress, type PressAction } from '../../src/workflow/votes.ts';
import { Workflow } from '../../src/workflow/workflow.ts';

const fromWeb3 = (secretKey: Uint8Array) => Ed25519Keypair.fromSeed(secretKey.slice(0, 32));
/** The sandbox co-signer key (public knowledge; tests only). */
export const COSIGNER_KEYPAIR = fromWeb3(SANDBOX_KEYPAIRS.cosigner.secretKey);
export const COSIGNER: Signer = keypairSigner(COSIGNER_KEYPAIR);
export const FEE_PAYER: Signer = keypairSigner(fromWeb3(SANDBOX_KEYPAIRS.feePayer.secretKey));
export const AUDIT_KEY = Ed25519Keypair.fromSeed(new Uint8Array(32).fill(5));
/** The fixed clock of these tests (the sandbox loss is recent enough for the policy's window). */
export const NOW = new Date('2026-12-01T10:00:00Z');

/** Seeds the sandbox world and both proposals (curator's vote on-chain), and funds the fee payer. */
export function seedChain(h: Harness, o: { multisig?: AccountData } = {}): void {
  const put = (a: AccountData) => h.setAccount(a);
  worldAccounts().forEach(put);
  proposalAccounts({ index: 1n, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT }) }).forEach(put);
  proposalAccounts({ index: 2n, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT, destination: SANDBOX.outsiderSharesAta }) }).slice(1).forEach(put);
  if (o.multisig) put(o.multisig);
  const loss = sandboxLoss();
  h.addTransaction(loss.transaction.signature, (loss.transaction.stored as { result: unknown }).result);
  h.airdrop(SANDBOX.feePayer, 1_000_000_000n);
}

/** policies/example.yaml, optionally edited as text (e.g. `execute: false`). */
export function loadedPolicy(edit: (text: string) => string = (t) => t): LoadedPolicy {
  const parsed = parsePolicyText(edit(examplePolicyText()), 'policies/example.yaml');
  if (!parsed.ok) throw new Error(`policy invalid: ${JSON.stringify(parsed.problems)}`);
  return { file: 'policies/example.yaml', policy: parsed.policy, revision: parsed.revision };
}

/** A Log that keeps every line, to prove what was (not) said. */
export class MemoryLog implements Log {
  readonly lines: { level: string; msg: string; obj: object }[] = [];
  info(obj: object, msg = '') { this.lines.push({ level: 'info', msg, obj }); }
  warn(obj: object, msg = '') { this.lines.push({ level: 'warn', msg, obj }); }
  error(obj: object, msg = '') { this.lines.push({ level: 'error', msg, obj }); }
  debug(obj: object, msg = '') { this.lines.push({ level: 'debug', msg, obj }); }
}

/** A notifier that only keeps a card per proposal in the store (presses need its message id). */
export function cardNotifier(store: () => Store): Notifier {
  let next = 100;
  return {
    async proposalChanged(rowId) {
      if (!(await store().getCard(rowId))) {
        await store().upsertCard({ proposalRowId: rowId, chatId: SANDBOX_TELEGRAM.chatId, messageId: next++, lastRenderedHash: null, pendingRender: false });
      }
    },
    async remind() {},
    async alert() {},
  };
}

export interface World {
  store: Store;
  wf: Workflow;
  cosigner: ChainCoSigner;
  chain: ChainReader;
  log: MemoryLog;
  policies: PolicyRegistry;
}

/** A Workflow on `database` talking to `rpcUrl`, with the real co-signer. */
export async function assemble(o: {
  rpcUrl: string;
  database: string;
  policy?: LoadedPolicy;
  cosignerClass?: typeof ChainCoSigner;
  feePayer?: Signer;
  /** Milliseconds clock of the co-signer's resend backoff. */
  cosignerNow?: () => number;
  creator?: (w: { store: Store; chain: ChainReader; log: MemoryLog }) => ProposalCreator;
  /** The co-signer's pre-sign simulation; these tests' harness is in recorded mode unless they load dumps. */
  simulation?: SimulationMode;
}): Promise<World> {
  const store = await openStore({ database: o.database, auditKey: AUDIT_KEY });
  const chain = new ChainReader({ rpcUrl: o.rpcUrl, retries: 0, timeoutMs: 5000 });
  const log = new MemoryLog();
  const Cls = o.cosignerClass ?? ChainCoSigner;
  const cosigner = new Cls({
    chain, store, signer: COSIGNER, feePayer: o.feePayer ?? FEE_PAYER, log, simulation: o.simulation ?? 'skip-recorded-mode', ...(o.cosignerNow ? { now: o.cosignerNow } : {}),
  });
  const policies = PolicyRegistry.of([o.policy ?? loadedPolicy()]);
  const wf = new Workflow({
    store, chain, policies, notifier: cardNotifier(() => store), cosigner, log, clock: () => NOW,
    ...(o.creator ? { creator: o.creator({ store, chain, log }) } : {}),
  });
  return { store, wf, cosigner, chain, log, policies };
}

/** Records the sandbox loss event. */
export function recordLoss(wf: Workflow) {
  return wf.recordLoss({ vault: SANDBOX.vault, reserve: SANDBOX.reserve, signature: sandboxLoss().event.signature, vaultLoss: SANDBOX_VAULT_LOSS, recordedBy: 'test' });
}

/** A Telegram press on the proposal's card. */
export async function press(w: World, rowId: number, action: PressAction, telegramId: number) {
  const row = (await w.store.getProposalByRowId(rowId))!;
  const card = (await w.store.getCard(rowId))!;
  return handlePress(w.wf, {
    rowId, action, telegramId, name: String(telegramId), chatId: SANDBOX_TELEGRAM.chatId, messageId: card.messageId,
    digestPrefix: digestField(row.digest), epoch: row.epoch,
  });
}

/** Loss recorded, pending proposal registered and approved by the curator and two council members. */
export async function approvedProposal(w: World): Promise<number> {
  await recordLoss(w.wf);
  const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
  for (const id of [1001, 2001, 2002]) {
    const r = await press(w, row.rowId, 'approve', id);
    if (r.kind !== 'counted') throw new Error(`press by ${id}: ${JSON.stringify(r)}`);
  }
  return row.rowId;
}

/** One decoded top-level instruction of a sent transaction. */
export interface SentInstruction {
  readonly program: Address;
  readonly accounts: readonly Address[];
  readonly data: Uint8Array;
}

/** Decodes a sent v0 transaction (no lookup tables) into its signers, instructions and message bytes. */
export function decodeSent(bytes: Uint8Array): { keys: Address[]; signers: Address[]; signatures: Uint8Array[]; message: Uint8Array; instructions: SentInstruction[] } {
  const tx = VersionedTransaction.deserialize(bytes);
  const keys = tx.message.staticAccountKeys.map((k) => k.toBase58() as Address);
  if (tx.message.addressTableLookups.length > 0) throw new Error('unexpected lookup tables in the outer transaction');
  return {
    keys,
    signers: keys.slice(0, tx.message.header.numRequiredSignatures),
    signatures: tx.signatures.map((s) => Uint8Array.from(s)),
    message: tx.message.serialize(),
    instructions: tx.message.compiledInstructions.map((ix) => ({
      program: keys[ix.programIdIndex]!,
      accounts: ix.accountKeyIndexes.map((i) => keys[i]!),
      data: Uint8Array.from(ix.data),
    })),
  };
}

/** ed25519 verification of `signature` over `message` by the raw 32-byte `publicKey`. */
export function ed25519Verifies(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
  return verify(null, message, key, signature);
}
