/**
 * Reading a vault's emergency-withdrawal world from a source RPC (reads only): the kvault, its
 * reserves and their lending markets and mints, the Insurance Pool farm and its token vault, the
 * Squads multisig whose vault is the farm's withdraw authority (given, or found in that vault's
 * recent history), the multisig vault's kToken account, the escrow, and the stakers' UserStates
 * asked for. Everything decodes with the chain decoders before it is used: a source that is not
 * what a vault with an Insurance Pool looks like is refused, naming what is wrong.
 */
import type { Address } from '@solana/kit';
import { decodeReserve, type Reserve } from '../../chain/accounts/klend.ts';
import { decodeFarmState, FARMS_PROGRAM_ADDRESS, type FarmState } from '../../chain/accounts/farms.ts';
import { decodeVaultState, DEFAULT_ADDRESS, type VaultState } from '../../chain/accounts/kvault.ts';
import { decodeMint, decodeTokenAccount, type TokenMint } from '../../chain/accounts/spl.ts';
import { decodeMultisig, SQUADS_PROGRAM, type MultisigAccount } from '../../chain/accounts/squads.ts';
import { ChainUnavailable } from '../../chain/errors.ts';
import { associatedTokenAddressOf, vaultPdaOf } from '../../chain/pda.ts';
import type { AccountData, AccountResult } from '../../chain/types.ts';
import { mulFrac, frac } from '../../policy/amounts.ts';
import { reserveTotalSupply } from '../../policy/valuation.ts';
import { findPda, key, tag } from '../fixtures/pda.ts';
import type { SourceChain } from './source.ts';

/** The source is not a vault this rehearsal can copy; the message says what to pass or fix. */
export class RehearsalRefused extends Error {
  override readonly name = 'RehearsalRefused';
}

/** Transactions of the multisig vault's history read to find its multisig (newest first). */
export const DISCOVERY_TRANSACTIONS = 25;

/** A vault's world as read from the source. */
export interface ClonedVault {
  readonly slot: bigint;
  /** Every account read that exists, by address (programs excluded: they come as dumps). */
  readonly accounts: ReadonlyMap<Address, AccountData>;
  readonly vaultAddress: Address;
  readonly vault: VaultState;
  readonly reserves: ReadonlyMap<Address, Reserve>;
  /** The allocated reserve holding the largest value of the vault's: where the rehearsal's loss happens. */
  readonly largestReserve: Address;
  readonly farmAddress: Address;
  readonly farm: FarmState;
  readonly sharesMint: TokenMint;
  readonly multisigAddress: Address;
  readonly multisig: MultisigAccount;
  readonly vaultIndex: number;
  readonly vaultPda: Address;
  /** The multisig vault's kToken ATA, and whether it exists on the source. */
  readonly vaultPdaSharesAta: { readonly address: Address; readonly exists: boolean };
  /** The escrow asked for, as read (null when none was asked for). */
  readonly escrow: { readonly address: Address; readonly authority: Address; readonly mint: Address } | null;
  /** Anything worth saying about what was (not) found. */
  readonly notes: readonly string[];
}

function found(results: ReadonlyMap<Address, AccountResult>, at: Address, what: string): AccountData | null {
  const r = results.get(at);
  if (!r || r.kind === 'unavailable') throw new ChainUnavailable(`the source could not be read for ${what} ${at}: ${r?.error ?? 'no answer'}; check --rpc and retry`);
  return r.kind === 'found' ? r.account : null;
}

function required(results: ReadonlyMap<Address, AccountResult>, at: Address, what: string): AccountData {
  const a = found(results, at, what);
  if (!a) throw new RehearsalRefused(`${what} ${at} does not exist on the source`);
  return a;
}

function decoded<T>(account: AccountData, what: string, decode: (a: AccountData) => T): T {
  try {
    return decode(account);
  } catch (err) {
    throw new RehearsalRefused(`${what}: ${(err as Error).message}`);
  }
}

/** The vault index of `multisig` whose vault PDA is `vaultPda`, or null. */
function vaultIndexOf(multisig: Address, vaultPda: Address): number | null {
  for (let i = 0; i <= 255; i++) if (vaultPdaOf(multisig, i) === vaultPda) return i;
  return null;
}

/**
 * The Squads multisig whose vault is `vaultPda`, found in that vault's recent history: any Squads
 * multisig account named by one of its last transactions whose vault of some index is `vaultPda`.
 */
async function discoverMultisig(source: SourceChain, vaultPda: Address): Promise<Address> {
  const history = await source.getSignaturesForAddress(vaultPda, { limit: DISCOVERY_TRANSACTIONS, commitment: 'finalized' });
  if (history.kind === 'unavailable') throw new ChainUnavailable(`the history of the farm's withdraw authority ${vaultPda} could not be read: ${history.error}`);
  const candidates = new Set<Address>();
  for (const entry of history.signatures) {
    const tx = await source.getTransactionJson(entry.signature, { commitment: 'finalized' });
    if (tx.kind === 'unavailable') throw new ChainUnavailable(`transaction ${entry.signature} could not be read: ${tx.error}`);
    if (tx.kind === 'missing') continue;
    const r = tx.result as { transaction?: { message?: { accountKeys?: unknown } }; meta?: { loadedAddresses?: { writable?: unknown; readonly?: unknown } } | null };
    const loaded = r.meta?.loadedAddresses;
    for (const k of [r.transaction?.message?.accountKeys, loaded?.writable, loaded?.readonly].flatMap((x) => (Array.isArray(x) ? (x as unknown[]) : []))) {
      if (typeof k === 'string' && k !== vaultPda) candidates.add(k as Address);
    }
  }
  if (candidates.size > 0) {
    const read = await source.getAccounts([...candidates]);
    for (const c of candidates) {
      const r = read.get(c);
      if (r?.kind !== 'found' || r.account.owner !== SQUADS_PROGRAM) continue;
      try {
        decodeMultisig(r.account);
      } catch {
        continue; // a proposal or transaction account of Squads, not the multisig
      }
      if (vaultIndexOf(c, vaultPda) !== null) return c;
    }
  }
  throw new RehearsalRefused(
    `no Squads multisig whose vault is the farm's withdraw authority ${vaultPda} appears in its last ${history.signatures.length} transactions: pass --multisig <address> (or --policy with insurancePool.multisig)`,
  );
}

/** Reads the vault's world from `source`; refuses a vault without an Insurance Pool, a reserve position or a multisig withdraw authority. */
export async function cloneVault(
  source: SourceChain,
  o: { vault: Address; multisig?: Address; escrow?: Address; wallets?: readonly Address[] },
): Promise<ClonedVault> {
  const notes: string[] = [];
  const accounts = new Map<Address, AccountData>();
  const keep = (a: AccountData | null) => {
    if (a && !a.executable) accounts.set(a.address, a);
    return a;
  };
  const slot = BigInt(await source.getSlot());

  const first = await source.getAccounts([o.vault]);
  const vault = decoded(keep(required(first, o.vault, 'kvault'))!, `--vault ${o.vault} is not a kvault`, decodeVaultState);
  if (vault.firstLossCapitalFarm === DEFAULT_ADDRESS) throw new RehearsalRefused(`kvault ${o.vault} has no Insurance Pool (first_loss_capital_farm is unset): there is no emergency withdrawal to rehearse`);
  const allocations = vault.activeAllocations.filter((a) => a.ctokenAllocation > 0n);
  if (allocations.length === 0) throw new RehearsalRefused(`kvault ${o.vault} holds no cTokens of any reserve: a reserve loss cannot reach it`);

  const second = await source.getAccounts([
    vault.firstLossCapitalFarm,
    vault.sharesMint,
    vault.tokenMint,
    vault.tokenVault,
    ...allocations.flatMap((a) => [a.reserve, a.ctokenVault]),
    ...(o.multisig ? [o.multisig] : []),
    ...(o.escrow ? [o.escrow] : []),
  ]);
  const farm = decoded(keep(required(second, vault.firstLossCapitalFarm, "the vault's Insurance Pool farm"))!, 'the Insurance Pool farm', decodeFarmState);
  const sharesMint = decoded(keep(required(second, vault.sharesMint, "the vault's shares mint"))!, 'the shares mint', decodeMint);
  keep(found(second, vault.tokenMint, "the vault's token mint"));
  keep(found(second, vault.tokenVault, "the vault's token vault"));
  const reserves = new Map<Address, Reserve>();
  for (const a of allocations) {
    reserves.set(a.reserve, decoded(keep(required(second, a.reserve, 'allocated reserve'))!, `allocated reserve ${a.reserve}`, decodeReserve));
    if (!keep(found(second, a.ctokenVault, "the vault's cToken account"))) notes.push(`the vault's cToken account ${a.ctokenVault} of reserve ${a.reserve} does not exist on the source`);
  }

  const vaultPda = farm.withdrawAuthority;
  if (vaultPda === DEFAULT_ADDRESS) throw new RehearsalRefused(`the Insurance Pool farm ${vault.firstLossCapitalFarm} has no withdraw authority: no multisig can withdraw from it (set it with update_farm_config mode 2)`);
  const multisigAddress = o.multisig ?? (await discoverMultisig(source, vaultPda));
  const multisigAccount = o.multisig ? required(second, o.multisig, '--multisig') : required(await source.getAccounts([multisigAddress]), multisigAddress, 'multisig');
  const multisig = decoded(keep(multisigAccount)!, `${multisigAddress} is not a Squads multisig`, decodeMultisig);
  const vaultIndex = vaultIndexOf(multisigAddress, vaultPda);
  if (vaultIndex === null) throw new RehearsalRefused(`no vault of multisig ${multisigAddress} is the farm's withdraw authority ${vaultPda}: this multisig cannot withdraw from the Insurance Pool`);

  const sharesAta = associatedTokenAddressOf(vaultPda, vault.sharesMint, sharesMint.programId);
  const userStates = (o.wallets ?? []).map((w) => findPda([tag('user'), key(vault.firstLossCapitalFarm), key(w)], FARMS_PROGRAM_ADDRESS).address);
  const markets = [...new Set([...reserves.values()].map((r) => r.lendingMarket))];
  const third = await source.getAccounts([
    farm.farmVault,
    vaultPda,
    sharesAta,
    ...markets,
    ...[...reserves.values()].flatMap((r) => [r.collateral.mintPubkey, r.collateral.supplyVault, r.liquidity.supplyVault, r.liquidity.feeVault]),
    ...userStates,
  ]);
  const farmVault = required(third, farm.farmVault, "the Insurance Pool's token vault");
  decoded(keep(farmVault)!, "the Insurance Pool's token vault", decodeTokenAccount);
  keep(found(third, vaultPda, 'the multisig vault'));
  const ataExists = keep(found(third, sharesAta, "the multisig vault's kToken account")) !== null;
  for (const m of markets) keep(required(third, m, 'lending market'));
  for (const r of reserves.values()) {
    for (const at of [r.collateral.mintPubkey, r.collateral.supplyVault, r.liquidity.supplyVault, r.liquidity.feeVault]) keep(found(third, at, 'reserve account'));
  }
  userStates.forEach((at, i) => {
    if (!keep(found(third, at, 'UserState'))) notes.push(`wallet ${o.wallets![i]} has no stake in the Insurance Pool (no UserState ${at})`);
  });

  let escrow: ClonedVault['escrow'] = null;
  if (o.escrow) {
    const token = decoded(keep(required(second, o.escrow, '--escrow'))!, `--escrow ${o.escrow} is not a token account`, decodeTokenAccount);
    if (token.mint !== vault.sharesMint) throw new RehearsalRefused(`--escrow ${o.escrow} holds mint ${token.mint}, not the vault's kToken mint ${vault.sharesMint}`);
    escrow = { address: o.escrow, authority: token.owner, mint: token.mint };
  }

  // The loss goes where the vault has the most to lose: value = cTokens × liquidity per cToken.
  let largestReserve = allocations[0]!.reserve;
  let largest = -1n;
  for (const a of allocations) {
    const r = reserves.get(a.reserve)!;
    if (r.collateral.mintTotalSupply === 0n) continue;
    const v = mulFrac(reserveTotalSupply(r), frac(a.ctokenAllocation, r.collateral.mintTotalSupply));
    const value = v.num / v.den;
    if (value > largest) [largest, largestReserve] = [value, a.reserve];
  }

  return {
    slot,
    accounts,
    vaultAddress: o.vault,
    vault,
    reserves,
    largestReserve,
    farmAddress: vault.firstLossCapitalFarm,
    farm,
    sharesMint,
    multisigAddress,
    multisig,
    vaultIndex,
    vaultPda,
    vaultPdaSharesAta: { address: sharesAta, exists: ataExists },
    escrow,
    notes,
  };
}
