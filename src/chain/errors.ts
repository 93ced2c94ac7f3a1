/**
 * Typed chain errors. `ChainUnavailable` means "could not tell, retry later" (an `unknown`);
 * the decode errors mean "the data says no" (a `fail`). Messages name the account and the problem
 * and never carry key material.
 */
import * as kit from '@solana/kit';

export class ChainUnavailable extends Error {
  override readonly name = 'ChainUnavailable';
  constructor(message: string, readonly causeText?: string) {
    super(message);
  }
}

/** The account exists but is not owned by the program its decoder expects. */
export class WrongOwner extends Error {
  override readonly name = 'WrongOwner';
  constructor(readonly address: string, readonly expected: string, readonly actual: string, what: string) {
    super(`${address} is not a ${what}: owned by ${actual}, expected ${expected}`);
  }
}

/** The account is owned by the right program but holds another account type. */
export class WrongDiscriminator extends Error {
  override readonly name = 'WrongDiscriminator';
  constructor(readonly address: string, what: string, readonly actualHex: string) {
    super(`${address} is not a ${what}: discriminator ${actualHex}`);
  }
}

/** The account has the right owner and type but its bytes do not decode (truncated, bad enum tag, ...). */
export class MalformedAccount extends Error {
  override readonly name = 'MalformedAccount';
  constructor(readonly address: string, what: string, detail: string) {
    super(`${address} is not a valid ${what}: ${detail}`);
  }
}

/**
 * The RPC node answered a request with a definite refusal (a JSON-RPC error that retrying cannot
 * change: invalid params, a transaction refused for a bad signature or a failed preflight). Unlike
 * `ChainUnavailable` this is an answer, not a silence.
 */
export class RpcRejected extends Error {
  override readonly name = 'RpcRejected';
  constructor(readonly method: string, readonly code: number, detail: string) {
    super(`${method} was refused by the RPC node (code ${code}): ${detail}`);
  }
}

/** A Solana CLI account JSON entry (snapshot `accounts[]`) that cannot be read; names the pubkey. */
export class InvalidAccountJson extends Error {
  override readonly name = 'InvalidAccountJson';
  constructor(readonly pubkey: string, detail: string) {
    super(`account entry ${pubkey}: ${detail}`);
  }
}

let solanaErrorNames: ReadonlyMap<number, string> | undefined;

/**
 * An error's text for a refusal. kit's codecs throw `SolanaError`s whose message, under
 * NODE_ENV=production, is only a code to decode elsewhere: those are named by their code's constant
 * and their scalar context instead (e.g. `PROGRAM_CLIENTS__INSUFFICIENT_ACCOUNT_METAS (actualAccountMetas 0, …)`).
 */
export function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (!kit.isSolanaError(e) || !e.message.startsWith('Solana error #')) return e.message || e.name;
  solanaErrorNames ??= new Map(
    Object.entries(kit)
      .filter(([k, v]) => k.startsWith('SOLANA_ERROR__') && typeof v === 'number')
      .map(([k, v]) => [v as number, k.slice('SOLANA_ERROR__'.length)]),
  );
  const context = e.context as Record<string, unknown> & { __code: number };
  const details = Object.entries(context)
    .filter(([k, v]) => !k.startsWith('__') && ['number', 'string', 'bigint', 'boolean'].includes(typeof v))
    .map(([k, v]) => `${k} ${String(v)}`);
  const name = solanaErrorNames.get(context.__code) ?? `Solana error ${context.__code}`;
  return details.length > 0 ? `${name} (${details.join(', ')})` : name;
}
