import { unusable } from '../context.ts';
import { fail, pass, unknown, type Rule } from './rule.ts';

const DEFAULT_KEY = '11111111111111111111111111111111';

/**
 * Exactly a 2-of-2 of the co-signer and the curator, both voting; the co-signer may execute when
 * backstop executes, and initiate when backstop created the proposal; autonomous; the expected time lock.
 */
export const multisigConfig: Rule = {
  id: 'multisig-config',
  evaluate(ctx) {
    const { policy } = ctx;
    const read = ctx.proposal.multisig;
    const problem = unusable(read, `multisig ${ctx.proposal.multisigAddress}`);
    if (problem) return { ...problem, facts: { multisig: ctx.proposal.multisigAddress } };
    if (read.status !== 'ok') return unknown('unreachable');
    const ms = read.value;
    const facts = {
      multisig: ctx.proposal.multisigAddress,
      threshold: ms.threshold,
      timeLock: ms.timeLock,
      configAuthority: ms.configAuthority,
      members: ms.members.map((m) => ({ key: m.key, initiate: m.initiate, vote: m.vote, execute: m.execute })),
    };
    const cosigner = ms.members.find((m) => m.key === policy.cosigner);
    const curator = ms.members.find((m) => m.key === policy.insurancePool.curatorMember);
    const strangers = ms.members.filter((m) => m.key !== policy.cosigner && m.key !== policy.insurancePool.curatorMember);
    if (ms.members.length !== 2 || !cosigner || !curator || strangers.length > 0) {
      return fail(`members must be exactly the co-signer and the curator; found ${ms.members.map((m) => m.key).join(', ')}`, facts);
    }
    if (ms.threshold !== 2) return fail(`threshold is ${ms.threshold}, not 2`, facts);
    if (!cosigner.vote || !curator.vote) return fail(`both members need Vote (co-signer ${cosigner.vote}, curator ${curator.vote})`, facts);
    const mustExecute = policy.execution.execute && policy.insurancePool.timeLock === 0;
    if (mustExecute && !cosigner.execute) return fail('the co-signer lacks Execute, so it cannot approve and execute in one transaction', facts);
    if (ctx.createdByBackstop && !cosigner.initiate) return fail('backstop created this proposal but the co-signer lacks Initiate', facts);
    if (ms.configAuthority !== DEFAULT_KEY) return fail(`config_authority is ${ms.configAuthority}: one key could change the members`, facts);
    if (ms.timeLock !== policy.insurancePool.timeLock) {
      return fail(`time lock is ${ms.timeLock} s, the policy expects ${policy.insurancePool.timeLock} s`, facts);
    }
    return pass(`2-of-2 of the co-signer and the curator, autonomous, time lock ${ms.timeLock} s`, facts);
  },
};
