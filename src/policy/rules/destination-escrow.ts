import { decodeMint, decodeTokenAccount } from '../../chain/accounts/spl.ts';
import { isOffCurve } from '../../chain/curve.ts';
import { readAccount } from '../../chain/types.ts';
import { showAmount } from '../amounts.ts';
import { unusable } from '../context.ts';
import { checkEscrowAgainstPlan } from '../compensation/distributor-check.ts';
import { fail, pass, unknown, type Rule } from './rule.ts';

const ALLOWED_ACCOUNT_EXTENSIONS = new Set(['ImmutableOwner']);

/**
 * The transfer lands in a registered compensation escrow that only the distribution controls, and
 * moves exactly what the farm sends.
 */
export const destinationEscrow: Rule = {
  id: 'destination-escrow',
  evaluate(ctx) {
    const { policy } = ctx;
    const transfers = ctx.instructions.filter((ix) => ix.kind === 'token-transfer' || ix.kind === 'token-transfer-checked');
    const transfer = transfers[0];
    if (!transfer || (transfer.kind !== 'token-transfer' && transfer.kind !== 'token-transfer-checked')) {
      return ctx.proposal.message?.unresolved
        ? (ctx.proposal.message.lookups.some((l) => l.read.status === 'unavailable') ? unknown : fail)(`the destination cannot be resolved: ${ctx.proposal.message.unresolved}`)
        : fail('the message has no token transfer, so nothing reaches an escrow');
    }
    const destination = transfer.destination;
    const escrow = policy.escrows.find((e) => e.address === destination);
    const base = { destination, transferAmount: transfer.amount };
    if (!escrow) return fail(`the transfer pays ${destination}, which is not a registered escrow`, base);
    const withEscrow = { ...base, escrow: escrow.name, registeredAuthority: escrow.authority, registeredMint: escrow.mint };

    const account = readAccount(ctx.facts.accounts, destination, decodeTokenAccount);
    const accountProblem = unusable(account, `escrow ${escrow.name} (${destination})`);
    if (accountProblem) return { ...accountProblem, facts: withEscrow };
    const vaultProblem = unusable(ctx.kvault, `kvault ${policy.vault}`);
    if (vaultProblem) return { ...vaultProblem, facts: withEscrow };
    if (account.status !== 'ok' || ctx.kvault.status !== 'ok') return unknown('unreachable', withEscrow);
    const sharesMint = ctx.kvault.value.sharesMint;
    const mint = readAccount(ctx.facts.accounts, sharesMint, decodeMint);
    const mintProblem = unusable(mint, `shares mint ${sharesMint}`);
    if (mintProblem) return { ...mintProblem, facts: withEscrow };
    if (mint.status !== 'ok') return unknown('unreachable', withEscrow);

    const a = account.value;
    const facts = {
      ...withEscrow,
      tokenProgram: a.programId,
      mint: a.mint,
      owner: a.owner,
      state: a.state,
      delegate: a.delegate,
      closeAuthority: a.closeAuthority,
      extensions: a.extensions.map((e) => e.name),
      mintExtensions: mint.value.extensions.map((e) => e.name),
      sharesMint,
    };
    if (a.programId !== mint.value.programId) return fail(`the escrow is owned by ${a.programId}, not the shares mint's token program ${mint.value.programId}`, facts);
    if (a.state !== 'initialized') return fail(`the escrow is ${a.state}`, facts);
    if (a.mint !== escrow.mint || escrow.mint !== sharesMint) {
      return fail(`the escrow holds mint ${a.mint}; registered ${escrow.mint}; the vault's shares mint is ${sharesMint}`, facts);
    }
    if (transfer.programId !== mint.value.programId) return fail(`the transfer runs ${transfer.programId}, not the shares mint's token program ${mint.value.programId}`, facts);
    if (transfer.kind === 'token-transfer-checked' && transfer.mint !== sharesMint) {
      return fail(`the transfer names mint ${transfer.mint}, not the shares mint`, facts);
    }
    if (a.owner !== escrow.authority) return fail(`the escrow's owner is ${a.owner}, not the registered authority ${escrow.authority}`, facts);
    if (!escrow.walletAuthority && !isOffCurve(escrow.authority)) {
      return fail(`the escrow authority ${escrow.authority} is a wallet key (on curve), not a program address`, facts);
    }
    if (a.delegate !== null) return fail(`the escrow has a delegate (${a.delegate})`, facts);
    if (a.closeAuthority !== null) return fail(`the escrow has a close authority (${a.closeAuthority})`, facts);
    const extra = a.extensions.filter((e) => !ALLOWED_ACCOUNT_EXTENSIONS.has(e.name));
    if (extra.length > 0) return fail(`the escrow has Token-2022 extensions ${extra.map((e) => e.name).join(', ')}`, facts);
    if (mint.value.hasPermanentDelegate || mint.value.hasTransferHook) {
      return fail(`the shares mint has ${[mint.value.hasPermanentDelegate && 'PermanentDelegate', mint.value.hasTransferHook && 'TransferHook'].filter(Boolean).join(' and ')}`, facts);
    }
    const v = ctx.valuation;
    if (v.outcome !== 'pass') {
      return { outcome: v.outcome, reason: `cannot tell what the farm sends: ${v.reason}`, facts };
    }
    const withAmount = { ...facts, farmTransfer: v.farmTransfer };
    const k = (x: bigint) => showAmount(x, mint.value.decimals);
    if (transfer.amount !== v.farmTransfer) {
      return fail(`the transfer moves ${k(transfer.amount)} kTokens but the farm sends ${k(v.farmTransfer)}`, withAmount);
    }
    const planned = checkEscrowAgainstPlan(ctx, { escrow: a, transferAmount: transfer.amount, sharesMint });
    if (planned) return { ...planned, facts: { ...withAmount, ...planned.facts } };
    const plan = policy.compensation?.requirePlan ? ', a distributor holding the loss event\'s plan' : '';
    return pass(`${k(v.farmTransfer)} kTokens, exactly what the farm sends, go to escrow ${escrow.name}${plan}`, withAmount);
  },
};
