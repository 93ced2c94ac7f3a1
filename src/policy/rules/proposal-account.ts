import { unusable } from '../context.ts';
import { fail, pass, unknown, type Rule } from './rule.ts';

/**
 * The transaction PDA holds a Squads VaultTransaction of the policy's multisig and vault index, and
 * its Proposal exists, is Active, and is above the multisig's stale index.
 */
export const proposalAccount: Rule = {
  id: 'proposal-account',
  evaluate(ctx) {
    const { proposal, policy } = ctx;
    const facts = {
      multisig: proposal.multisigAddress,
      transactionIndex: proposal.transactionIndex,
      transactionPda: proposal.transactionPda,
      proposalPda: proposal.proposalPda,
    };
    if (proposal.multisigAddress !== policy.insurancePool.multisig) {
      return fail(`the proposal's multisig ${proposal.multisigAddress} is not the policy's ${policy.insurancePool.multisig}`, facts);
    }
    const txProblem = unusable(proposal.transaction, `transaction account ${proposal.transactionPda}`);
    if (txProblem) return { ...txProblem, facts };
    if (proposal.transaction.status !== 'ok') return unknown('unreachable', facts);
    const tx = proposal.transaction.value;
    if (tx.type !== 'vault') {
      return fail(`the transaction at index ${proposal.transactionIndex} is a ${tx.type === 'config' ? 'ConfigTransaction' : 'Batch'}, not a VaultTransaction`, { ...facts, type: tx.type });
    }
    const vt = tx.value;
    const withTx = { ...facts, type: 'vault', creator: vt.creator, vaultIndex: vt.vaultIndex };
    if (vt.multisig !== policy.insurancePool.multisig) return fail(`the VaultTransaction belongs to multisig ${vt.multisig}`, withTx);
    if (vt.index !== proposal.transactionIndex) return fail(`the VaultTransaction records index ${vt.index}, not ${proposal.transactionIndex}`, withTx);
    if (vt.vaultIndex !== policy.insurancePool.vaultIndex) {
      return fail(`the VaultTransaction uses vault index ${vt.vaultIndex}, the policy's is ${policy.insurancePool.vaultIndex}`, withTx);
    }
    const propProblem = unusable(proposal.proposal, `proposal account ${proposal.proposalPda}`);
    if (propProblem) return { ...propProblem, facts: withTx };
    if (proposal.proposal.status !== 'ok') return unknown('unreachable', withTx);
    const p = proposal.proposal.value;
    const withProposal = { ...withTx, status: p.status.kind, approved: p.approved, rejected: p.rejected };
    if (p.multisig !== policy.insurancePool.multisig || p.transactionIndex !== proposal.transactionIndex) {
      return fail(`the Proposal account is for ${p.multisig}:${p.transactionIndex}`, withProposal);
    }
    if (p.status.kind !== 'Active') return fail(`the proposal is ${p.status.kind}, not Active`, withProposal);
    const msProblem = unusable(proposal.multisig, `multisig ${proposal.multisigAddress}`);
    if (msProblem) return { ...msProblem, facts: withProposal };
    if (proposal.multisig.status !== 'ok') return unknown('unreachable', withProposal);
    const stale = proposal.multisig.value.staleTransactionIndex;
    const withStale = { ...withProposal, staleTransactionIndex: stale };
    if (proposal.transactionIndex <= stale) {
      return fail(`the proposal is stale: index ${proposal.transactionIndex} ≤ stale index ${stale}`, withStale);
    }
    return pass(`VaultTransaction ${proposal.transactionIndex} of the policy's multisig, vault ${vt.vaultIndex}; the proposal is Active and above the stale index ${stale}`, withStale);
  },
};
