import { fail, pass, unknown, type Rule } from './rule.ts';

/** No lookup tables unless the policy allows them; then each resolves fully and is frozen. */
export const lookupTables: Rule = {
  id: 'lookup-tables',
  evaluate(ctx) {
    const message = ctx.proposal.message;
    if (!message) return unknown('there is no vault transaction message to inspect');
    const tables = message.lookups.map((l) => ({
      table: l.table,
      status: l.read.status,
      authority: l.read.status === 'ok' ? l.read.value.authority : null,
      writableIndexes: l.writableIndexes,
      readonlyIndexes: l.readonlyIndexes,
      missingIndexes: l.missingIndexes,
    }));
    const facts = { tables };
    if (tables.length === 0) return pass('the message uses no lookup tables', facts);
    if (!ctx.policy.allowLookupTables) return fail(`the message uses ${tables.length} lookup table(s) and the policy does not allow them`, facts);
    for (const l of message.lookups) {
      if (l.read.status === 'unavailable') return unknown(`lookup table ${l.table} could not be read: ${l.read.error}`, facts);
    }
    for (const l of message.lookups) {
      if (l.read.status === 'missing') return fail(`lookup table ${l.table} does not exist`, facts);
      if (l.read.status === 'invalid') return fail(`lookup table ${l.table} is not valid: ${l.read.error}`, facts);
      if (l.missingIndexes.length > 0) return fail(`lookup table ${l.table} lacks index ${l.missingIndexes.join(', ')}: it could be filled later`, facts);
      if (l.read.status === 'ok' && l.read.value.authority !== null) {
        return fail(`lookup table ${l.table} is not frozen (authority ${l.read.value.authority} can extend it)`, facts);
      }
    }
    return pass(`${tables.length} frozen lookup table(s), every index resolved`, facts);
  },
};
