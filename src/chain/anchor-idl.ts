/**
 * kit codecs built mechanically from a legacy (pre-0.30) Anchor IDL: field order and types come from
 * the program's own IDL, never from offsets written by hand. Borsh as Anchor writes it: integers
 * little-endian, `vec`/`bytes`/`string` with a u32 length, `option` with a u8 tag, enums with a u8
 * variant index; a length the remaining bytes cannot hold is refused before anything is allocated. Discriminators are Anchor's: sha256("account:<Name>")[0..8] for accounts and
 * sha256("global:<snake_name>")[0..8] for instructions (legacy IDLs do not list them).
 */
import { createHash } from 'node:crypto';
import {
  addCodecSizePrefix,
  combineCodec,
  createDecoder,
  fixCodecSize,
  getAddressCodec,
  getArrayCodec,
  getArrayEncoder,
  getBooleanCodec,
  getBytesCodec,
  getDiscriminatedUnionCodec,
  getI128Codec,
  getI16Codec,
  getI32Codec,
  getI64Codec,
  getI8Codec,
  getNullableCodec,
  getStructCodec,
  getU128Codec,
  getU16Codec,
  getU32Codec,
  getU32Encoder,
  getU64Codec,
  getU8Codec,
  getUnitCodec,
  getUtf8Codec,
  isFixedSize,
  transformCodec,
  type Codec,
  type NumberCodec,
} from '@solana/kit';

export type IdlType =
  | string
  | { readonly vec: IdlType }
  | { readonly option: IdlType }
  | { readonly array: readonly [IdlType, number] }
  | { readonly defined: string };

export interface IdlField {
  readonly name: string;
  readonly type: IdlType;
}

export interface IdlTypeDef {
  readonly name: string;
  readonly type:
    | { readonly kind: 'struct'; readonly fields: readonly IdlField[] }
    | { readonly kind: 'enum'; readonly variants: readonly { readonly name: string; readonly fields?: readonly IdlField[] }[] };
}

/** The parts of a legacy Anchor IDL the codecs are built from. */
export interface AnchorIdl {
  readonly name: string;
  readonly instructions: readonly { readonly name: string }[];
  readonly accounts: readonly IdlTypeDef[];
  readonly types?: readonly IdlTypeDef[];
}

type AnyCodec = Codec<any, any>;

/**
 * A u32 length prefix that refuses a length the remaining bytes cannot hold (each item takes at least
 * `minItemSize` bytes): without it a corrupt or hostile account's length of 2³¹ makes kit allocate an
 * array that size and the process die of memory, where a refusal is the answer.
 */
function lengthPrefix(minItemSize: number): NumberCodec {
  const u32 = getU32Codec();
  const decoder = createDecoder<number>({
    fixedSize: 4,
    read(bytes, offset) {
      const [n, next] = u32.read(bytes, offset);
      const left = bytes.length - next;
      if (n * minItemSize > left) throw new Error(`a length of ${n} at byte ${offset}, but only ${left} bytes follow`);
      return [n, next];
    },
  });
  return combineCodec(getU32Encoder(), decoder) as unknown as NumberCodec;
}
const itemSize = (c: AnyCodec): number => Math.max(1, isFixedSize(c) ? c.fixedSize : 1);

/**
 * Borsh `Vec<T>`. Not kit's size-prefixed array decoder: it reads no bytes at all as an empty array,
 * so an account cut right before a vector would read as one with no members, votes or instructions.
 */
function vecCodec(item: AnyCodec): AnyCodec {
  const prefix = lengthPrefix(itemSize(item));
  const decoder = createDecoder<unknown[]>({
    read(bytes, offset) {
      let [n, at] = prefix.read(bytes, offset) as [number, number];
      const values: unknown[] = [];
      for (; n > 0; n--) {
        const [value, next] = item.read(bytes, at);
        values.push(value);
        at = next;
      }
      return [values, at];
    },
  });
  return combineCodec(getArrayEncoder(item, { size: getU32Encoder() }), decoder);
}

/** Borsh's option tag: 0 or 1, anything else is not a value the program wrote (kit would read 2 as Some). */
const OPTION_TAG = transformCodec(getU8Codec(), (v: number | bigint) => v, (tag: number) => {
  if (tag > 1) throw new Error(`option tag ${tag}: Borsh writes 0 (None) or 1 (Some)`);
  return tag;
});

/** An account's codec (discriminator first, as a field named `discriminator`) and its discriminator. */
export interface AnchorAccountCodec {
  readonly codec: AnyCodec;
  readonly discriminator: Uint8Array;
  /** The encoded size when every field has a fixed size (discriminator included), else null. */
  readonly fixedSize: number | null;
}

const sha256Prefix = (text: string): Uint8Array => new Uint8Array(createHash('sha256').update(text).digest().subarray(0, 8));

/** `multisigCreateV2` (or `WithdrawFromFarmVault`) → `multisig_create_v2`: the Rust name Anchor hashes and backstop shows. */
export const snakeCase = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** Anchor's account discriminator of `name`. */
export const accountDiscriminator = (name: string): Uint8Array => sha256Prefix(`account:${name}`);

/** Anchor's instruction discriminator of IDL instruction `name` (camelCase in the IDL). */
export const instructionDiscriminator = (name: string): Uint8Array => sha256Prefix(`global:${snakeCase(name)}`);

/** Builds the codecs of one IDL; throws on a type it does not know, so a changed IDL fails at load, not mid-decode. */
export function anchorCodecs(idl: AnchorIdl): {
  account(name: string): AnchorAccountCodec;
  /** hex discriminator → snake_case instruction name, for every instruction of the IDL. */
  instructionNames(): ReadonlyMap<string, string>;
} {
  const defs = new Map<string, IdlTypeDef>([...(idl.types ?? []), ...idl.accounts].map((d) => [d.name, d]));
  const built = new Map<string, AnyCodec>();

  const fields = (list: readonly IdlField[]): [string, AnyCodec][] => list.map((f) => [f.name, codecOf(f.type)]);

  function definedCodec(name: string): AnyCodec {
    const done = built.get(name);
    if (done) return done;
    const def = defs.get(name);
    if (!def) throw new Error(`the ${idl.name} IDL uses type ${name} but does not define it`);
    const t = def.type;
    const codec: AnyCodec =
      t.kind === 'struct'
        ? getStructCodec(fields(t.fields))
        : (getDiscriminatedUnionCodec(t.variants.map((v) => [v.name, v.fields && v.fields.length > 0 ? getStructCodec(fields(v.fields)) : getUnitCodec()]) as any) as unknown as AnyCodec);
    built.set(name, codec);
    return codec;
  }

  function codecOf(t: IdlType): AnyCodec {
    if (typeof t === 'object') {
      if ('vec' in t) return vecCodec(codecOf(t.vec));
      if ('option' in t) return getNullableCodec(codecOf(t.option), { prefix: OPTION_TAG });
      if ('defined' in t) return definedCodec(t.defined);
      const [item, size] = t.array;
      // A byte array stays bytes (a root, a buffer); other arrays decode item by item.
      return item === 'u8' ? fixCodecSize(getBytesCodec(), size) : getArrayCodec(codecOf(item), { size });
    }
    switch (t) {
      case 'bool':
        return getBooleanCodec();
      case 'u8':
        return getU8Codec();
      case 'i8':
        return getI8Codec();
      case 'u16':
        return getU16Codec();
      case 'i16':
        return getI16Codec();
      case 'u32':
        return getU32Codec();
      case 'i32':
        return getI32Codec();
      case 'u64':
        return getU64Codec();
      case 'i64':
        return getI64Codec();
      case 'u128':
        return getU128Codec();
      case 'i128':
        return getI128Codec();
      case 'publicKey':
        return getAddressCodec();
      case 'bytes':
        return addCodecSizePrefix(getBytesCodec(), lengthPrefix(1));
      case 'string':
        return addCodecSizePrefix(getUtf8Codec(), lengthPrefix(1));
      default:
        throw new Error(`the ${idl.name} IDL has a field type this codec builder does not know: ${JSON.stringify(t)}`);
    }
  }

  return {
    account(name) {
      const def = idl.accounts.find((a) => a.name === name);
      if (!def || def.type.kind !== 'struct') throw new Error(`the ${idl.name} IDL has no account ${name}`);
      const codec = getStructCodec([['discriminator', fixCodecSize(getBytesCodec(), 8)], ...fields(def.type.fields)]);
      return { codec, discriminator: accountDiscriminator(name), fixedSize: isFixedSize(codec) ? codec.fixedSize : null };
    },
    instructionNames() {
      return new Map(idl.instructions.map((ix) => [Buffer.from(instructionDiscriminator(ix.name)).toString('hex'), snakeCase(ix.name)]));
    },
  };
}
