/** The nine rules of docs/rules.md, in table order. Adding a rule = one file + one line here. */
import { amountWithinLoss } from './amount-within-loss.ts';
import { destinationEscrow } from './destination-escrow.ts';
import { farmBinding } from './farm-binding.ts';
import { instructionAllowlist } from './instruction-allowlist.ts';
import { limits } from './limits.ts';
import { lookupTables } from './lookup-tables.ts';
import { lossEvent } from './loss-event.ts';
import { multisigConfig } from './multisig-config.ts';
import { proposalAccount } from './proposal-account.ts';
import type { Rule } from './rule.ts';

export const RULES: readonly Rule[] = [
  proposalAccount,
  multisigConfig,
  instructionAllowlist,
  lookupTables,
  farmBinding,
  lossEvent,
  amountWithinLoss,
  destinationEscrow,
  limits,
];

export const RULE_IDS = RULES.map((r) => r.id);
