/** Program ids backstop reads, decodes or calls: one list, so a decoder and a fixture never disagree. */
import { address } from '@solana/kit';

export const PROGRAMS = {
  squads: address('SQDS4ep65T869zMMBKyuUq6aD6EgTu8psMjkvj52pCf'),
  farms: address('FarmsPZpWu9i7Kky8tPN37rs2TpmMrAZrC7S7vJa91Hr'),
  kvault: address('KvauGMspG5k6rtzrqqn7WNn3oZdyKqLKwK2XWQ8FLjd'),
  klend: address('KLend2g3cP87fffoy8q1mQqGKjrxjC8boSyAYavgmjD'),
  distributor: address('KdisqEcXbXKaTrBFqeDLhMmBvymLTwj9GmhDcdJyGat'),
  token: address('TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA'),
  token2022: address('TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb'),
  ata: address('ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL'),
  system: address('11111111111111111111111111111111'),
  computeBudget: address('ComputeBudget111111111111111111111111111111'),
  memo: address('MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr'),
  memoLegacy: address('Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo'),
  lookupTable: address('AddressLookupTab1e1111111111111111111111111'),
} as const;
