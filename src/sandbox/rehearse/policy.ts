/**
 * The rehearsal's policy: the curator's own policy file when given (else policies/example.yaml for
 * limits, approvals and names), in its written form, with only what identifies people and keys on
 * this machine replaced — `cosigner` and `insurancePool.curatorMember` by the rehearsal's local keys,
 * Telegram ids and chat by the emulator's, webhook sources by the sandbox source. Without a policy
 * file, the vault, farm, multisig, vault index, time lock and escrow are what was read from the chain.
 */
import { readFileSync } from 'node:fs';
import type { Address } from '@solana/kit';
import { parse, stringify } from 'yaml';
import { parsePolicyText } from '../../policy/load.ts';
import { validatePolicy, type Policy } from '../../policy/schema.ts';
import { SANDBOX, SANDBOX_TELEGRAM } from '../seeds.ts';
import type { ClonedVault } from './clone.ts';
import { RehearsalRefused } from './clone.ts';
import { packagePath } from '../../util/package-root.ts';

const EXAMPLE = packagePath('policies', 'example.yaml');

/** A policy file read as the rehearsal's template: its parsed form and its written (raw YAML) form. */
export interface PolicyTemplate {
  readonly file: string;
  readonly policy: Policy;
  readonly raw: Record<string, any>;
}

/** Reads `file` (must be a valid policy for `vault`); refuses with its problems otherwise. */
export function readPolicyTemplate(file: string, vault: Address): PolicyTemplate {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RehearsalRefused(`--policy ${file} cannot be read: ${(err as Error).message}`);
  }
  const parsed = parsePolicyText(text, file);
  if (!parsed.ok) throw new RehearsalRefused(`--policy ${file} is not valid (run backstop policy check ${file}): ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  if (parsed.policy.vault !== vault) throw new RehearsalRefused(`--policy ${file} covers vault ${parsed.policy.vault}, not --vault ${vault}`);
  return { file, policy: parsed.policy, raw: parse(text) as Record<string, any> };
}

/** The escrow the rehearsal pays: an account read from the chain, or a candidate made on the rehearsal chain. */
export interface RehearsalEscrow {
  readonly name: string;
  readonly address: Address;
  readonly authority: Address;
  readonly mint: Address;
  readonly walletAuthority: boolean;
}

/** Telegram ids the emulator uses for the rehearsal's roster, in the policy's order. */
export interface RehearsalRoster {
  readonly chatId: number;
  readonly curators: number[];
  readonly council: number[];
  readonly outsider: number;
}

/** The rehearsal policy (written form, validated) and the emulator roster it names. */
export function rehearsalPolicy(o: { clone: ClonedVault; template: PolicyTemplate | null; escrow: RehearsalEscrow; source: string }): {
  raw: Record<string, any>;
  policy: Policy;
  roster: RehearsalRoster;
  notes: string[];
} {
  const { clone, template } = o;
  const notes: string[] = [];
  const raw: Record<string, any> = template ? structuredClone(template.raw) : (parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, any>);
  const chain = {
    vault: clone.vaultAddress,
    farm: clone.farmAddress,
    multisig: clone.multisigAddress,
    vaultIndex: clone.vaultIndex,
    timeLock: clone.multisig.timeLock,
  };
  if (template) {
    // The curator's policy decides as it would on mainnet: where it disagrees with the chain, the rehearsal shows it.
    const pool = template.policy.insurancePool;
    for (const [k, v] of [['farm', pool.farm], ['multisig', pool.multisig], ['vaultIndex', pool.vaultIndex], ['timeLock', pool.timeLock]] as const) {
      if (v !== chain[k]) notes.push(`policy insurancePool.${k} is ${v}, the chain says ${chain[k]}: the rehearsal keeps the policy's, so expect its proposals denied`);
    }
    raw['name'] = `${raw['name']} (rehearsal)`;
    if (!template.policy.escrows.some((e) => e.address === o.escrow.address)) {
      raw['escrows'] = [...(raw['escrows'] as unknown[]), { name: o.escrow.name, address: o.escrow.address, authority: o.escrow.authority, mint: o.escrow.mint, walletAuthority: o.escrow.walletAuthority }];
    }
  } else {
    raw['name'] = `Rehearsal of kvault ${clone.vaultAddress.slice(0, 8)}`;
    delete raw['symbol']; // the example's token symbol is not this vault's
    raw['vault'] = chain.vault;
    raw['insurancePool'] = { farm: chain.farm, multisig: chain.multisig, vaultIndex: chain.vaultIndex, curatorMember: '', timeLock: chain.timeLock, farmAdmins: [], allowFullDrain: false };
    raw['curators'] = { required: 1, members: [{ name: 'curator', telegramId: 0 }] };
    raw['escrows'] = [{ name: o.escrow.name, address: o.escrow.address, authority: o.escrow.authority, mint: o.escrow.mint, walletAuthority: o.escrow.walletAuthority }];
  }
  raw['insurancePool']['curatorMember'] = SANDBOX.curator;
  raw['cosigner'] = SANDBOX.cosigner;
  const curators = (raw['curators']['members'] as Record<string, unknown>[]).map((m, i) => ({ ...m, telegramId: 1001 + i }));
  const council = (raw['council']['members'] as Record<string, unknown>[]).map((m, i) => ({ ...m, telegramId: 2001 + i }));
  raw['curators']['members'] = curators;
  raw['council']['members'] = council;
  raw['telegram'] = { chatId: SANDBOX_TELEGRAM.chatId };
  raw['webhookSources'] = [{ id: 'sandbox', publicKey: SANDBOX.webhookSource, may: ['loss-events', 'proposals'] }];
  const valid = validatePolicy(raw);
  if (!valid.ok) throw new RehearsalRefused(`the rehearsal policy is not valid: ${valid.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  const outsider = SANDBOX_TELEGRAM.outsider;
  return {
    raw,
    policy: valid.policy,
    roster: { chatId: SANDBOX_TELEGRAM.chatId, curators: curators.map((m) => m.telegramId), council: council.map((m) => m.telegramId), outsider },
    notes,
  };
}

/** The policy file's text: a header saying what was replaced, then the YAML. */
export function rehearsalPolicyText(raw: Record<string, any>, o: { source: string; slot: bigint; template: string | null }): string {
  return [
    `# Rehearsal policy written by backstop rehearse: kvault ${raw['vault']} as read from ${o.source} at slot ${o.slot}.`,
    `# Template: ${o.template ?? 'policies/example.yaml (limits, approvals, council names)'}.`,
    '# Replaced for this machine: cosigner and insurancePool.curatorMember (local keys), Telegram ids and chat',
    '# (the emulator), webhookSources (the sandbox source). Everything else is as read. Never use it in production.',
    stringify(raw, { lineWidth: 0 }),
  ].join('\n');
}
