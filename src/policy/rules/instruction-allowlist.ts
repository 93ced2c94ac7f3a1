import type { Address } from '@solana/kit';
import type { DecodedInstruction } from '../../chain/instructions.ts';
import { associatedTokenAddressOf } from '../../chain/pda.ts';
import { fail, pass, unknown, type Rule } from './rule.ts';

const describe = (ix: DecodedInstruction): string =>
  'name' in ix && typeof ix.name === 'string' ? `${ix.kind} ${ix.name} (${ix.programId})` : `${ix.kind} (${ix.programId})`;

/**
 * The message is exactly: ComputeBudget anywhere, at most one ATA createIdempotent for the vault
 * before one farms withdraw_from_farm_vault, then one SPL transfer out of the withdrawer account;
 * nothing else, and no signer but the vault PDA.
 */
export const instructionAllowlist: Rule = {
  id: 'instruction-allowlist',
  evaluate(ctx) {
    const { proposal, vaultPda } = ctx;
    const tx = proposal.transaction;
    if (tx.status === 'unavailable') return unknown(`the transaction account could not be read: ${tx.error}`);
    if (tx.status !== 'ok' || tx.value.type !== 'vault' || !proposal.message) return fail('there is no VaultTransaction message to allow');
    const message = proposal.message;
    if (message.unresolved !== null) {
      const unreadable = message.lookups.some((l) => l.read.status === 'unavailable');
      return (unreadable ? unknown : fail)(`the message is not fully resolved: ${message.unresolved}`);
    }
    const instructions = message.instructions;
    const summary = instructions.map((ix) => describe(ix));
    const signers = message.accountKeys.filter((k) => k.isSigner).map((k) => k.address);
    const facts = { instructions: summary, signers, vaultPda };
    const strangers = signers.filter((s) => s !== vaultPda);
    if (strangers.length > 0 || signers.length === 0) {
      return fail(`the only signer may be the vault PDA ${vaultPda}; the message also needs ${strangers.join(', ') || 'no vault signature'}`, facts);
    }

    let withdrawAt = -1;
    let withdrawer: Address | null = null;
    let createdAta: Address | null = null;
    let transfers = 0;
    for (const [i, ix] of instructions.entries()) {
      const where = `instruction ${i}`;
      switch (ix.kind) {
        case 'compute-budget':
          break;
        case 'ata-create': {
          if (!ix.idempotent) return fail(`${where} is an ATA create that is not createIdempotent`, facts);
          if (createdAta !== null) return fail(`${where} is a second ATA createIdempotent`, facts);
          if (withdrawAt >= 0) return fail(`${where} creates an ATA after the withdrawal`, facts);
          if (ix.payer !== vaultPda || ix.owner !== vaultPda) return fail(`${where} creates an ATA whose payer or owner is not the vault PDA`, facts);
          if (ix.associatedToken !== associatedTokenAddressOf(ix.owner, ix.mint, ix.tokenProgram)) {
            return fail(`${where} creates ${ix.associatedToken}, which is not the vault's associated token account`, facts);
          }
          createdAta = ix.associatedToken;
          break;
        }
        case 'farms-withdraw-from-farm-vault':
          if (withdrawAt >= 0) return fail(`${where} is a second withdraw_from_farm_vault`, facts);
          if (ix.amount <= 0n) return fail(`${where} withdraws amount ${ix.amount}; it must be above 0`, facts);
          if (ix.withdrawAuthority !== vaultPda) return fail(`${where} names withdraw authority ${ix.withdrawAuthority}, not the vault PDA`, facts);
          withdrawAt = i;
          withdrawer = ix.withdrawerTokenAccount;
          break;
        case 'token-transfer':
        case 'token-transfer-checked':
          if (withdrawAt < 0) return fail(`${where} transfers tokens before the withdrawal`, facts);
          if (transfers > 0) return fail(`${where} is a second token transfer`, facts);
          if (ix.source !== withdrawer) return fail(`${where} transfers from ${ix.source}, not the withdrawer account ${withdrawer}`, facts);
          if (ix.authority !== vaultPda) return fail(`${where} transfers with authority ${ix.authority}, not the vault PDA`, facts);
          transfers += 1;
          break;
        default:
          return fail(`${where} is not allowed: ${describe(ix)}`, facts);
      }
    }
    if (withdrawAt < 0) return fail('the message has no withdraw_from_farm_vault', facts);
    if (transfers === 0) return fail('the message has no token transfer after the withdrawal', facts);
    if (createdAta !== null && createdAta !== withdrawer) {
      return fail(`the ATA created (${createdAta}) is not the withdrawal's destination (${withdrawer})`, facts);
    }
    return pass(`one withdrawal then one transfer, ${instructions.length} instruction(s), only the vault PDA signs`, facts);
  },
};
