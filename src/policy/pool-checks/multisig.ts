import { check, DEFAULT_ADDRESS, unreadable, type PoolCheck, type PoolContext } from './context.ts';

const CONFIG_FIX = 'a Squads config transaction (AddMember / RemoveMember / ChangeThreshold / SetTimeLock) approved by the members';

/**
 * `multisig`: threshold 2 of exactly 2 voting members — the policy's curator member and council key
 * (backstop's co-signer key) — no `config_authority`, and the time lock the policy states.
 */
export function multisigCheck(ctx: PoolContext): PoolCheck {
  if (ctx.multisigAddress === null || ctx.multisig === null) {
    return check('multisig', 'unknown', 'no multisig to check: pass --policy or --multisig');
  }
  const address = ctx.multisigAddress;
  const bad = unreadable(ctx.multisig, `multisig ${address}`);
  if (bad || ctx.multisig.status !== 'ok') {
    const b = bad ?? { outcome: 'unknown' as const, evidence: 'unreachable' };
    return check('multisig', b.outcome, b.evidence, b.outcome === 'fail' ? 'check the multisig address (policy insurancePool.multisig or --multisig): it must be a Squads v4 Multisig' : null, { multisig: address });
  }
  const ms = ctx.multisig.value;
  const voters = ms.members.filter((m) => m.vote);
  const facts = {
    multisig: address,
    threshold: ms.threshold,
    members: ms.members.map((m) => `${m.key}${m.vote ? '' : ' (no Vote)'}`),
    configAuthority: ms.configAuthority,
    timeLock: ms.timeLock,
  };
  const shape = `threshold ${ms.threshold} of ${ms.members.length} member(s) (${voters.length} voting)`;
  if (ms.configAuthority !== DEFAULT_ADDRESS) {
    return check('multisig', 'fail', `config_authority is ${ms.configAuthority}: that key alone can change the members and the threshold`, `${ms.configAuthority} signs Squads multisig_set_config_authority(the default key) to make the multisig autonomous`, facts);
  }
  if (ms.threshold !== 2 || ms.members.length !== 2 || voters.length !== 2) {
    return check('multisig', 'fail', `${shape}: the Insurance Pool needs exactly 2-of-2, both voting`, CONFIG_FIX, facts);
  }
  const policy = ctx.policy;
  if (!policy) {
    return check('multisig', 'unknown', `2-of-2, autonomous, time lock ${ms.timeLock} s, members ${ms.members.map((m) => m.key).join(', ')}: pass --policy to check they are the curator and the council key`, null, facts);
  }
  const want = [policy.insurancePool.curatorMember, policy.cosigner];
  const keys = ms.members.map((m) => m.key);
  if (!want.every((k) => keys.includes(k))) {
    return check(
      'multisig',
      'fail',
      `members are ${keys.join(', ')}, not the curator member ${policy.insurancePool.curatorMember} and the council key ${policy.cosigner}`,
      `${CONFIG_FIX}, or fix insurancePool.curatorMember / cosigner in the policy`,
      facts,
    );
  }
  if (ms.timeLock !== policy.insurancePool.timeLock) {
    return check('multisig', 'fail', `time lock is ${ms.timeLock} s, the policy says ${policy.insurancePool.timeLock} s`, `${CONFIG_FIX}, or set insurancePool.timeLock to ${ms.timeLock}`, facts);
  }
  return check('multisig', 'pass', `2-of-2 of the curator member ${policy.insurancePool.curatorMember} and the council key ${policy.cosigner}, autonomous, time lock ${ms.timeLock} s`, null, facts);
}
