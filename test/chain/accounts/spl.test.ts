import { describe, expect, it } from 'vitest';
import { PublicKey } from '@solana/web3.js';
import {
  AccountLayout,
  AccountState,
  ExtensionType,
  MintLayout,
  getAccountLen,
  getMintLen,
  getPermanentDelegate,
  getTransferHook,
  unpackMint,
} from '@solana/spl-token';
import type { Address } from '@solana/kit';
import {
  TOKEN_2022_PROGRAM_ADDRESS,
  TOKEN_PROGRAM_ADDRESS,
  decodeMint,
  decodeTokenAccount,
} from '../../../src/chain/accounts/spl.ts';
import { MalformedAccount, WrongDiscriminator, WrongOwner } from '../../../src/chain/errors.ts';
import type { AccountData } from '../../../src/chain/types.ts';
import { extension, mintAccount, tokenAccount, escrowAccount, sharesMintAccount } from '../../../src/sandbox/fixtures/token.ts';
import { PROGRAMS, SANDBOX } from '../../../src/sandbox/seeds.ts';
import { marker, withData, withOwner } from './bytes.ts';
import { mainnetAccount } from './mainnet.ts';

const pk = (a: Address) => new PublicKey(a);
const raw = (data: Uint8Array, owner: Address, address: Address = marker(99)): AccountData => ({
  address,
  owner,
  lamports: 1n,
  data,
  executable: false,
});

describe('SPL Token mints (bytes from spl-token MintLayout)', () => {
  const bytes = Buffer.alloc(MintLayout.span);
  MintLayout.encode(
    {
      mintAuthorityOption: 1,
      mintAuthority: pk(marker(1)),
      supply: 123_456_789n,
      decimals: 6,
      isInitialized: true,
      freezeAuthorityOption: 1,
      freezeAuthority: pk(marker(2)),
    },
    bytes,
  );

  it('decodes every base field', () => {
    const m = decodeMint(raw(bytes, TOKEN_PROGRAM_ADDRESS));
    expect(m).toEqual({
      address: marker(99),
      program: 'token',
      programId: TOKEN_PROGRAM_ADDRESS,
      mintAuthority: marker(1),
      supply: 123_456_789n,
      decimals: 6,
      isInitialized: true,
      freezeAuthority: marker(2),
      extensions: [],
      hasPermanentDelegate: false,
      hasTransferHook: false,
    });
  });

  it('reads absent authorities as null', () => {
    const m = decodeMint(sharesMintAccount({ mintAuthority: null }));
    expect(m.mintAuthority).toBeNull();
    expect(m.freezeAuthority).toBeNull();
  });
});

describe('SPL Token accounts (bytes from spl-token AccountLayout)', () => {
  const encode = (state: AccountState) => {
    const bytes = Buffer.alloc(AccountLayout.span);
    AccountLayout.encode(
      {
        mint: pk(marker(1)),
        owner: pk(marker(2)),
        amount: 5_000_000n,
        delegateOption: 1,
        delegate: pk(marker(3)),
        state,
        isNativeOption: 0,
        isNative: 0n,
        delegatedAmount: 7n,
        closeAuthorityOption: 1,
        closeAuthority: pk(marker(4)),
      },
      bytes,
    );
    return bytes;
  };

  it('decodes every base field, with delegate and close authority', () => {
    const a = decodeTokenAccount(raw(encode(AccountState.Initialized), TOKEN_PROGRAM_ADDRESS));
    expect(a).toEqual({
      address: marker(99),
      program: 'token',
      programId: TOKEN_PROGRAM_ADDRESS,
      mint: marker(1),
      owner: marker(2),
      amount: 5_000_000n,
      delegate: marker(3),
      delegatedAmount: 7n,
      state: 'initialized',
      isNative: false,
      rentExemptReserve: null,
      closeAuthority: marker(4),
      extensions: [],
    });
  });

  it('names the three account states', () => {
    expect(decodeTokenAccount(raw(encode(AccountState.Frozen), TOKEN_PROGRAM_ADDRESS)).state).toBe('frozen');
    expect(decodeTokenAccount(raw(encode(AccountState.Uninitialized), TOKEN_PROGRAM_ADDRESS)).state).toBe('uninitialized');
  });

  it('refuses an unknown account state byte (MalformedAccount)', () => {
    const bytes = encode(AccountState.Initialized);
    bytes[108] = 3;
    expect(() => decodeTokenAccount(raw(bytes, TOKEN_PROGRAM_ADDRESS))).toThrow(MalformedAccount);
  });

  it('reads a clean escrow fixture as having no delegate or close authority', () => {
    const e = decodeTokenAccount(escrowAccount());
    expect(e.delegate).toBeNull();
    expect(e.closeAuthority).toBeNull();
    expect(e.owner).toBe(SANDBOX.escrowAuthority);
  });
});

describe('Token-2022 extensions', () => {
  it('lists ImmutableOwner on a token account (sized like spl-token getAccountLen)', () => {
    const acc = tokenAccount({
      address: marker(10),
      owner: marker(11),
      programId: TOKEN_2022_PROGRAM_ADDRESS,
      extensions: [extension.immutableOwner()],
    });
    expect(acc.data.length).toBe(getAccountLen([ExtensionType.ImmutableOwner]));
    const a = decodeTokenAccount(acc);
    expect(a.program).toBe('token-2022');
    expect(a.extensions).toEqual([{ type: ExtensionType.ImmutableOwner, name: 'ImmutableOwner' }]);
  });

  it('lists PermanentDelegate and TransferHook on a mint and flags both', () => {
    const mint = mintAccount({
      address: marker(12),
      programId: TOKEN_2022_PROGRAM_ADDRESS,
      extensions: [extension.permanentDelegate(marker(13)), extension.transferHook({ authority: marker(14), programId: marker(15) })],
    });
    expect(mint.data.length).toBe(getMintLen([ExtensionType.PermanentDelegate, ExtensionType.TransferHook]));
    // spl-token's own extension readers agree with the bytes the fixture wrote
    const info = { data: Buffer.from(mint.data), owner: pk(mint.owner), lamports: 1, executable: false };
    const unpacked = unpackMint(pk(mint.address), info, pk(TOKEN_2022_PROGRAM_ADDRESS));
    expect(getPermanentDelegate(unpacked)?.delegate.toBase58()).toBe(marker(13));
    expect(getTransferHook(unpacked)?.programId.toBase58()).toBe(marker(15));

    const m = decodeMint(mint);
    expect(m.extensions.map((e) => e.name)).toEqual(['PermanentDelegate', 'TransferHook']);
    expect(m.hasPermanentDelegate).toBe(true);
    expect(m.hasTransferHook).toBe(true);
  });

  it('does not flag a mint whose only extension is harmless', () => {
    const m = decodeMint(
      mintAccount({ address: marker(16), programId: TOKEN_2022_PROGRAM_ADDRESS, extensions: [extension.mintCloseAuthority(marker(17))] }),
    );
    expect(m.extensions).toEqual([{ type: ExtensionType.MintCloseAuthority, name: 'MintCloseAuthority' }]);
    expect(m.hasPermanentDelegate).toBe(false);
    expect(m.hasTransferHook).toBe(false);
  });

  it('reads a Token-2022 account without extensions as having none', () => {
    const a = decodeTokenAccount(tokenAccount({ address: marker(18), owner: marker(19), programId: TOKEN_2022_PROGRAM_ADDRESS }));
    expect(a.program).toBe('token-2022');
    expect(a.extensions).toEqual([]);
  });

  it('stops at zero padding after the last extension, as Token-2022 does', () => {
    const acc = tokenAccount({ address: marker(20), owner: marker(21), programId: TOKEN_2022_PROGRAM_ADDRESS, extensions: [extension.immutableOwner()] });
    const padded = new Uint8Array(acc.data.length + 2);
    padded.set(acc.data);
    expect(decodeTokenAccount(withData(acc, padded)).extensions.map((e) => e.name)).toEqual(['ImmutableOwner']);
  });

  it('names an extension type spl-token does not know', () => {
    const acc = tokenAccount({
      address: marker(22),
      owner: marker(23),
      programId: TOKEN_2022_PROGRAM_ADDRESS,
      extensions: [{ type: 200 as ExtensionType, data: new Uint8Array(3) }],
    });
    expect(decodeTokenAccount(acc).extensions).toEqual([{ type: 200, name: 'Unknown(200)' }]);
  });

  it('names extensions 16 and 17 as @solana-program/token-2022 does (spl-token 0.4.15 knows neither)', () => {
    const acc = tokenAccount({
      address: marker(26),
      owner: marker(27),
      programId: TOKEN_2022_PROGRAM_ADDRESS,
      extensions: [extension.immutableOwner(), { type: 17 as ExtensionType, data: new Uint8Array(64) }],
    });
    expect(decodeTokenAccount(acc).extensions).toEqual([
      { type: 7, name: 'ImmutableOwner' },
      { type: 17, name: 'ConfidentialTransferFeeAmount' },
    ]);
    const mint = mintAccount({ address: marker(28), programId: TOKEN_2022_PROGRAM_ADDRESS, extensions: [{ type: 16 as ExtensionType, data: new Uint8Array(129) }] });
    expect(decodeMint(mint).extensions).toEqual([{ type: 16, name: 'ConfidentialTransferFee' }]);
  });

  it('refuses a known extension whose value is too short for its layout (MalformedAccount)', () => {
    const mint = mintAccount({ address: marker(29), programId: TOKEN_2022_PROGRAM_ADDRESS, extensions: [{ type: ExtensionType.PermanentDelegate, data: new Uint8Array(31) }] });
    expect(() => decodeMint(mint)).toThrow(MalformedAccount);
    expect(() => decodeMint(mint)).toThrow(/PermanentDelegate extension at TLV offset 0/);
  });

  it('refuses an extension that overruns the data (MalformedAccount)', () => {
    const acc = tokenAccount({ address: marker(24), owner: marker(25), programId: TOKEN_2022_PROGRAM_ADDRESS, extensions: [extension.immutableOwner()] });
    const bad = acc.data.slice();
    bad[166 + 2] = 9; // ImmutableOwner claims 9 value bytes; none follow
    expect(() => decodeTokenAccount(withData(acc, bad))).toThrow(MalformedAccount);
  });
});

describe('Token decoders refuse what they do not decode', () => {
  it('use the token program ids of the sandbox world', () => {
    expect(TOKEN_PROGRAM_ADDRESS).toBe(PROGRAMS.token);
    expect(TOKEN_2022_PROGRAM_ADDRESS).toBe(PROGRAMS.token2022);
  });

  it('refuse an account owned by neither token program (WrongOwner)', () => {
    expect(() => decodeTokenAccount(withOwner(escrowAccount(), PROGRAMS.system))).toThrow(WrongOwner);
    expect(() => decodeMint(withOwner(sharesMintAccount(), PROGRAMS.farms))).toThrow(WrongOwner);
  });

  it('refuse a mint as a token account and a token account as a mint (WrongDiscriminator)', () => {
    expect(() => decodeTokenAccount(sharesMintAccount())).toThrow(WrongDiscriminator);
    expect(() => decodeMint(escrowAccount())).toThrow(WrongDiscriminator);
    const mint2022 = mintAccount({ address: marker(30), programId: TOKEN_2022_PROGRAM_ADDRESS, extensions: [extension.nonTransferable()] });
    expect(() => decodeTokenAccount(mint2022)).toThrow(WrongDiscriminator);
    const acc2022 = tokenAccount({ address: marker(31), owner: marker(32), programId: TOKEN_2022_PROGRAM_ADDRESS, extensions: [extension.immutableOwner()] });
    expect(() => decodeMint(acc2022)).toThrow(WrongDiscriminator);
  });

  it('refuse a multisig-sized account (WrongDiscriminator)', () => {
    expect(() => decodeTokenAccount(raw(new Uint8Array(355), TOKEN_PROGRAM_ADDRESS))).toThrow(WrongDiscriminator);
  });

  it('refuse truncated data and legacy accounts with a Token-2022 tail (MalformedAccount)', () => {
    const e = escrowAccount();
    expect(() => decodeTokenAccount(withData(e, e.data.slice(0, 164)))).toThrow(MalformedAccount);
    const m = sharesMintAccount();
    expect(() => decodeMint(withData(m, m.data.slice(0, 81)))).toThrow(MalformedAccount);
    const acc2022 = tokenAccount({ address: marker(33), owner: marker(34), programId: TOKEN_2022_PROGRAM_ADDRESS, extensions: [extension.immutableOwner()] });
    expect(() => decodeTokenAccount(withOwner(acc2022, TOKEN_PROGRAM_ADDRESS))).toThrow(MalformedAccount);
  });

  it('refuses to build extensions under legacy SPL Token', () => {
    expect(() => tokenAccount({ address: marker(35), owner: marker(36), extensions: [extension.immutableOwner()] })).toThrow(/Token-2022/);
  });
});

describe('real Token-2022 accounts (mainnet PYUSD)', () => {
  it('decodes the PYUSD mint with every extension named, 16 included, and flags its delegate and hook', () => {
    const m = decodeMint(mainnetAccount('Token-2022 mint (PYUSD'));
    expect(m.program).toBe('token-2022');
    expect(m.decimals).toBe(6);
    expect(m.extensions.map((e) => e.name)).toEqual([
      'MintCloseAuthority',
      'PermanentDelegate',
      'TransferFeeConfig',
      'ConfidentialTransferMint',
      'ConfidentialTransferFee',
      'TransferHook',
      'MetadataPointer',
      'TokenMetadata',
    ]);
    expect(m.hasPermanentDelegate).toBe(true);
    expect(m.hasTransferHook).toBe(true);
  });

  it('decodes a PYUSD associated token account and its extensions', () => {
    const a = decodeTokenAccount(mainnetAccount('Token-2022 token account (PYUSD'));
    expect(a.mint).toBe('2b1kV6DkPAnxd5ixfnxCpjxmKwqjjaYmCZfHsFu24GXo');
    expect(a.state).toBe('initialized');
    expect(a.extensions.map((e) => e.name)).toEqual(['ImmutableOwner', 'TransferFeeAmount', 'TransferHookAccount']);
  });
});
