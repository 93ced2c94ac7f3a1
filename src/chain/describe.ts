/**
 * A human-readable account of what a proposal would execute (for `backstop inspect` and cards):
 * each decoded instruction in one line, amounts with decimals applied where they are known.
 */
import { formatUnits } from '../util/units.ts';
import type { DecodedInstruction } from './instructions.ts';
import type { DecodedProposal } from './proposal.ts';

/** One line per instruction. `decimalsOf(mintOrFarm)` gives decimals when the caller knows them. */
export function describeInstruction(ix: DecodedInstruction, kTokenDecimals: number | null): string {
  const amount = (a: bigint, decimals: number | null) => (decimals === null ? `${a} base units` : `${formatUnits(a, decimals)} (${a} base units)`);
  switch (ix.kind) {
    case 'farms-withdraw-from-farm-vault':
      return `farms withdraw_from_farm_vault ${amount(ix.amount, kTokenDecimals)} kTokens from farm ${ix.farmState} into ${ix.withdrawerTokenAccount}, authority ${ix.withdrawAuthority}`;
    case 'token-transfer':
      return `token transfer ${amount(ix.amount, kTokenDecimals)} from ${ix.source} to ${ix.destination}, authority ${ix.authority}`;
    case 'token-transfer-checked':
      return `token transferChecked ${amount(ix.amount, ix.decimals)} of mint ${ix.mint} from ${ix.source} to ${ix.destination}, authority ${ix.authority}`;
    case 'token-set-authority':
      return `token setAuthority on ${ix.account} (type ${ix.authorityType}) to ${ix.newAuthority ?? 'none'}`;
    case 'token-close-account':
      return `token closeAccount ${ix.account}, lamports to ${ix.destination}`;
    case 'token-approve':
    case 'token-approve-checked':
      return `token approve delegate ${ix.delegate} for ${ix.amount} on ${ix.account}`;
    case 'ata-create':
      return `associated token ${ix.idempotent ? 'createIdempotent' : 'create'} ${ix.associatedToken} (owner ${ix.owner}, mint ${ix.mint}, payer ${ix.payer})`;
    case 'memo':
      return `memo ${JSON.stringify(ix.text)}`;
    case 'unknown':
      return `unknown program ${ix.programId} (${ix.data.length} data bytes, ${ix.accounts.length} accounts)`;
    case 'malformed':
      return `malformed instruction for ${ix.programId}: ${ix.error}`;
    default:
      return `${ix.kind} ${'name' in ix ? ix.name : ''} (${ix.programId})`.replace(/\s+/g, ' ');
  }
}

/** The lines `inspect` prints for a decoded proposal. */
export function describeProposal(p: DecodedProposal, kTokenDecimals: number | null): string[] {
  const lines = [`proposal ${p.multisigAddress}:${p.transactionIndex}`, `  transaction ${p.transactionPda}`, `  proposal    ${p.proposalPda}`];
  if (p.proposal.status === 'ok') {
    const s = p.proposal.value;
    lines.push(`  status      ${s.status.kind}; approved by ${s.approved.join(', ') || 'nobody'}${s.rejected.length ? `; rejected by ${s.rejected.join(', ')}` : ''}`);
  } else lines.push(`  status      proposal account ${p.proposal.status}${'error' in p.proposal ? `: ${p.proposal.error}` : ''}`);
  if (p.multisig.status === 'ok') {
    const m = p.multisig.value;
    lines.push(`  multisig    ${m.threshold}-of-${m.members.length}, time lock ${m.timeLock} s, index ${m.transactionIndex}, stale ${m.staleTransactionIndex}`);
  }
  const t = p.transaction;
  if (t.status === 'ok') {
    if (t.value.type === 'config') lines.push(`  ConfigTransaction: ${t.value.actions.join(', ')}`);
    if (t.value.type === 'batch') lines.push(`  Batch of ${t.value.size} transaction(s)`);
    if (t.value.type === 'vault') {
      lines.push(`  VaultTransaction by ${t.value.value.creator}, vault index ${t.value.value.vaultIndex} (${p.vaultPda})`);
      if (p.message?.unresolved) lines.push(`  NOT FULLY RESOLVED: ${p.message.unresolved}`);
      p.message?.instructions.forEach((ix, i) => lines.push(`  ${i}. ${describeInstruction(ix, kTokenDecimals)}`));
      lines.push(`  digest      ${p.digest ?? '(none)'}`);
    }
  }
  return lines;
}
