/**
 * Create mode (docs/flow.md step 2): backstop builds the Squads vault transaction + proposal itself, of
 * exactly the allowed shape — farms `withdraw_from_farm_vault(amount)` into the vault PDA's kToken
 * ATA, then `transferChecked` of what the farm will send to the escrow — at `transaction_index + 1`
 * read fresh, retrying a lost race. The co-signer creates it (it needs Initiate). Every transaction
 * is stored as an intent before it is sent, and confirmation is polled.
 */
import { AccountRole, createNoopSigner, type Address, type Instruction } from '@solana/kit';
import { PublicKey, TransactionInstruction, TransactionMessage } from '@solana/web3.js';
import { createAssociatedTokenAccountIdempotentInstruction, createTransferCheckedInstruction } from '@solana/spl-token';
import * as multisigSdk from '@sqds/multisig';
import { getWithdrawFromFarmVaultInstruction } from '@kamino-finance/farms-sdk/dist/@codegen/farms/instructions/withdrawFromFarmVault.js';
import { decodeFarmState } from '../chain/accounts/farms.ts';
import { decodeMint, decodeTokenAccount, type TokenMint } from '../chain/accounts/spl.ts';
import { decodeMultisig, SQUADS_PROGRAM, type MultisigAccount } from '../chain/accounts/squads.ts';
import { ChainUnavailable } from '../chain/errors.ts';
import { associatedTokenAddressOf, vaultPdaOf } from '../chain/pda.ts';
import { readAccount, type AccountMap, type Read } from '../chain/types.ts';
import type { LoadedPolicy } from '../policy/load.ts';
import { farmTransfer } from '../policy/valuation.ts';
import type { IntentKind, Store } from '../store/types.ts';
import { WorkflowRefusal } from '../workflow/errors.ts';
import type { Log, ProposalCreator, WorkflowChain } from '../workflow/ports.ts';
import type { Signer } from './signer.ts';
import { signV0 } from './transaction.ts';

const { instructions } = multisigSdk;

/** Named arguments of `ChainProposalCreator`. */
export interface ChainProposalCreatorOptions {
  readonly chain: WorkflowChain;
  readonly store: Store;
  /** The co-signer key: the proposal's creator (needs Initiate). */
  readonly signer: Signer;
  /** Pays fees and rent; the co-signer pays when omitted. */
  readonly feePayer?: Signer;
  readonly log: Log;
  /** Between confirmation polls (default 500 ms). */
  readonly pollMs?: number;
  /** Give up waiting for one transaction after this long (default 90 s). */
  readonly confirmTimeoutMs?: number;
  /** Tries at a fresh index after losing a race (default 3). */
  readonly attempts?: number;
}

type Landing = { readonly kind: 'landed' } | { readonly kind: 'failed'; readonly err: unknown } | { readonly kind: 'expired' };

/** kit instruction → web3.js v1 (docs/chain.md#decoding: signer for *_SIGNER roles, writable for WRITABLE*). */
function toWeb3(ix: Instruction): TransactionInstruction {
  return new TransactionInstruction({
    programId: new PublicKey(ix.programAddress),
    keys: (ix.accounts ?? []).map((a) => ({
      pubkey: new PublicKey(a.address),
      isSigner: a.role === AccountRole.READONLY_SIGNER || a.role === AccountRole.WRITABLE_SIGNER,
      isWritable: a.role === AccountRole.WRITABLE || a.role === AccountRole.WRITABLE_SIGNER,
    })),
    data: Buffer.from(ix.data ?? new Uint8Array()),
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates emergency-withdrawal proposals on the real Squads program. */
export class ChainProposalCreator implements ProposalCreator {
  private readonly chain: WorkflowChain;
  private readonly store: Store;
  private readonly signer: Signer;
  private readonly feePayer: Signer;
  private readonly log: Log;
  private readonly pollMs: number;
  private readonly confirmTimeoutMs: number;
  private readonly attempts: number;

  constructor({ chain, store, signer, feePayer, log, pollMs = 500, confirmTimeoutMs = 90_000, attempts = 3 }: ChainProposalCreatorOptions) {
    this.chain = chain;
    this.store = store;
    this.signer = signer;
    this.feePayer = feePayer ?? signer;
    this.log = log;
    this.pollMs = pollMs;
    this.confirmTimeoutMs = confirmTimeoutMs;
    this.attempts = attempts;
  }

  async create({ policy, lossEventId, amount, escrow }: { policy: LoadedPolicy; lossEventId: string; amount: bigint; escrow: Address }): Promise<{ multisig: Address; transactionIndex: bigint }> {
    const p = policy.policy;
    const multisig = p.insurancePool.multisig;
    const vaultPda = vaultPdaOf(multisig, p.insurancePool.vaultIndex);
    if (p.cosigner !== this.signer.address) throw new WorkflowRefusal('unprocessable', 'wrong-cosigner', `the policy's co-signer is ${p.cosigner}, not this key`);

    // Recorded mode: without the program nothing could be created, and imitating it is forbidden.
    const program = (await this.chain.getAccounts([SQUADS_PROGRAM])).get(SQUADS_PROGRAM);
    if (program?.kind === 'unavailable') throw new ChainUnavailable(`could not read the Squads program account: ${program.error}`);
    if (program?.kind !== 'found' || !program.account.executable) {
      throw new WorkflowRefusal('unavailable', 'programs-unavailable', 'the Squads program is not executable on this chain (recorded mode): create mode needs the real program');
    }

    const first = await this.read([multisig, p.insurancePool.farm]);
    const farm = this.must(readAccount(first, p.insurancePool.farm, decodeFarmState), 'the farm');
    const ms = this.must(readAccount(first, multisig, decodeMultisig), 'the multisig');
    this.checkCreator(ms);
    const mintAddress = farm.token.mint;
    const second = await this.read([mintAddress, escrow]);
    const mint = this.must(readAccount(second, mintAddress, decodeMint), 'the kToken mint');
    const escrowAccount = this.must(readAccount(second, escrow, decodeTokenAccount), 'the escrow');
    if (escrowAccount.mint !== mintAddress) throw new WorkflowRefusal('unprocessable', 'escrow-mint', `the escrow ${escrow} holds ${escrowAccount.mint}, not the farm's kToken ${mintAddress}`);
    const { transfer } = farmTransfer(amount, farm.totalStakedAmount, farm.totalPendingAmount);
    if (transfer <= 0n) throw new WorkflowRefusal('unprocessable', 'bad-amount', `withdrawing ${amount} from the farm would transfer nothing`);

    const withdrawer = associatedTokenAddressOf(vaultPda, mintAddress, mint.programId);
    await this.ensureAta({ multisig, ms, vaultPda, withdrawer, mint });

    const inner = [
      toWeb3(
        getWithdrawFromFarmVaultInstruction({
          withdrawAuthority: createNoopSigner(vaultPda), // the vault PDA signs through Squads' CPI
          farmState: p.insurancePool.farm,
          withdrawerTokenAccount: withdrawer,
          farmVault: farm.farmVault,
          farmVaultsAuthority: farm.farmVaultsAuthority,
          tokenProgram: mint.programId,
          amount,
        }),
      ),
      createTransferCheckedInstruction(new PublicKey(withdrawer), new PublicKey(mintAddress), new PublicKey(escrow), new PublicKey(vaultPda), transfer, mint.decimals, [], new PublicKey(mint.programId)),
    ];

    let lastIndex = ms.transactionIndex;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      const fresh = this.must(readAccount(await this.read([multisig]), multisig, decodeMultisig), 'the multisig');
      const index = fresh.transactionIndex + 1n;
      const landing = await this.createAt({ multisig, vaultPda, vaultIndex: p.insurancePool.vaultIndex, index, inner, lossEventId });
      if (landing.kind === 'landed') {
        this.log.info({ proposal: `${multisig}:${index}`, amount: amount.toString(), transfer: transfer.toString(), escrow }, 'proposal created');
        return { multisig, transactionIndex: index };
      }
      const after = this.must(readAccount(await this.read([multisig]), multisig, decodeMultisig), 'the multisig');
      if (after.transactionIndex < index) {
        // Nobody else took the index: the failure was ours, retrying cannot help.
        throw new WorkflowRefusal('unavailable', 'create-failed', `creating the proposal at index ${index} did not land (${landing.kind === 'failed' ? JSON.stringify(landing.err) : 'blockhash expired'})`);
      }
      this.log.warn({ multisig, index: index.toString(), attempt }, 'lost the race for the transaction index; retrying at the next one');
      lastIndex = after.transactionIndex;
    }
    throw new WorkflowRefusal('unavailable', 'create-failed', `lost the race for the transaction index ${this.attempts} times (last seen ${lastIndex})`);
  }

  // ---- internals ----

  private checkCreator(ms: MultisigAccount): void {
    const me = ms.members.find((m) => m.key === this.signer.address);
    if (!me?.initiate) throw new WorkflowRefusal('unprocessable', 'cosigner-cannot-initiate', 'the co-signer is not a member of the multisig with Initiate, so it cannot create proposals');
  }

  /** Pre-creates the vault PDA's kToken ATA in its own ordinary transaction when it is missing. */
  private async ensureAta(o: { multisig: Address; ms: MultisigAccount; vaultPda: Address; withdrawer: Address; mint: TokenMint }): Promise<void> {
    const existing = (await this.read([o.withdrawer])).get(o.withdrawer);
    if (existing?.kind === 'found') return;
    const ix = createAssociatedTokenAccountIdempotentInstruction(
      new PublicKey(this.feePayer.address), new PublicKey(o.withdrawer), new PublicKey(o.vaultPda), new PublicKey(o.mint.address), new PublicKey(o.mint.programId),
    );
    const landing = await this.signStoreSend({ proposal: `${o.multisig}:${o.ms.transactionIndex + 1n}`, kind: 'ata', instructions: [ix] });
    if (landing.kind !== 'landed') throw new WorkflowRefusal('unavailable', 'create-failed', `could not create the vault's kToken account ${o.withdrawer}`);
    this.log.info({ account: o.withdrawer }, 'created the vault PDA’s kToken account');
  }

  private async createAt(o: { multisig: Address; vaultPda: Address; vaultIndex: number; index: bigint; inner: TransactionInstruction[]; lossEventId: string }): Promise<Landing> {
    const multisigPda = new PublicKey(o.multisig);
    const creator = new PublicKey(this.signer.address);
    const rentPayer = new PublicKey(this.feePayer.address);
    const { blockhash } = await this.chain.getLatestBlockhash();
    const create = instructions.vaultTransactionCreate({
      multisigPda,
      transactionIndex: o.index,
      creator,
      rentPayer,
      vaultIndex: o.vaultIndex,
      ephemeralSigners: 0,
      // The inner payer is the vault PDA; the program ignores the blockhash.
      transactionMessage: new TransactionMessage({ payerKey: new PublicKey(o.vaultPda), recentBlockhash: blockhash, instructions: o.inner }),
      memo: `backstop loss ${o.lossEventId}`,
    });
    const propose = instructions.proposalCreate({ multisigPda, creator, rentPayer, transactionIndex: o.index, isDraft: false });
    return this.signStoreSend({ proposal: `${o.multisig}:${o.index}`, kind: 'create', instructions: [create, propose] });
  }

  /** Signs, stores the intent, sends, and polls until it landed, failed or expired. */
  private async signStoreSend(o: { proposal: string; kind: IntentKind; instructions: TransactionInstruction[] }): Promise<Landing> {
    const { blockhash, lastValidBlockHeight } = await this.chain.getLatestBlockhash();
    const signed = await signV0({ instructions: o.instructions, payer: this.feePayer, signers: [this.signer], blockhash });
    const intent = await this.store.recordIntent({
      proposal: o.proposal, kind: o.kind, transaction: signed.bytes, signature: signed.signature, blockhash, lastValidBlockHeight: BigInt(lastValidBlockHeight), status: 'sent',
    });
    const started = Date.now();
    let lastSend = 0;
    for (;;) {
      if (Date.now() - lastSend >= 2000) {
        lastSend = Date.now();
        try {
          await this.chain.sendRawTransaction(signed.bytes);
        } catch (err) {
          this.log.warn({ proposal: o.proposal, kind: o.kind, err: (err as Error).message }, 'send failed; resending the same bytes');
        }
      }
      const [status] = await this.chain.getSignatureStatuses([signed.signature]).catch(() => [null]);
      if (status && (status.confirmationStatus === 'confirmed' || status.confirmationStatus === 'finalized')) {
        await this.store.updateIntentStatus(intent.id, status.err === null ? 'landed' : 'failed');
        return status.err === null ? { kind: 'landed' } : { kind: 'failed', err: status.err };
      }
      const height = await this.chain.getBlockHeight().catch(() => null);
      if (height !== null && BigInt(height) > intent.lastValidBlockHeight && !status) {
        await this.store.updateIntentStatus(intent.id, 'expired');
        return { kind: 'expired' };
      }
      if (Date.now() - started > this.confirmTimeoutMs) throw new ChainUnavailable(`no confirmation of ${o.kind} transaction ${signed.signature} after ${this.confirmTimeoutMs} ms`);
      await sleep(this.pollMs);
    }
  }

  private async read(addresses: readonly Address[]): Promise<AccountMap> {
    const accounts = await this.chain.getAccounts(addresses);
    for (const a of addresses) {
      const r = accounts.get(a);
      if (r?.kind === 'unavailable') throw new ChainUnavailable(`could not read ${a}: ${r.error}`, r.error);
    }
    return accounts;
  }

  private must<T>(r: Read<T>, what: string): T {
    if (r.status === 'ok') return r.value;
    if (r.status === 'unavailable') throw new ChainUnavailable(`could not read ${what}: ${r.error}`, r.error);
    throw new WorkflowRefusal('unprocessable', 'create-refused', `${what} is ${r.status}${r.status === 'invalid' ? `: ${r.error}` : ''}`);
  }
}
