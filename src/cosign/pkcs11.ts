/**
 * Ed25519 keys held in a PKCS#11 token (an HSM; SoftHSM2 in tests). The private key never enters
 * this process: it is generated inside the token (CKM_EC_EDWARDS_KEY_PAIR_GEN, sensitive, not
 * extractable) and only used through C_Sign with CKM_EDDSA. Every signature is verified against the
 * token's public key before it is handed out, so a faulty token yields an error, never a bad
 * signature. The binding (pkcs11js) is loaded only when a key lives in a token.
 */
import { verify as edVerify, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import { getBase58Decoder, type Address } from '@solana/kit';
import type * as Pkcs11Js from 'pkcs11js';
import { formatPkcs11Uri, type Pkcs11Settings, type Pkcs11Uri } from '../config.ts';

/** A key in a token cannot be used or created; the message says why and what to do, never the PIN. */
export class Pkcs11KeyError extends Error {
  override readonly name = 'Pkcs11KeyError';
}

// PKCS#11 3.0 values; pkcs11js 2.1 does not export the Edwards-curve names.
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;
/** CKA_EC_PARAMS of Ed25519: the DER OID 1.3.101.112 (RFC 8410). */
export const ED25519_EC_PARAMS = Uint8Array.from([0x06, 0x03, 0x2b, 0x65, 0x70]);
/** The older form some tokens store: the DER PrintableString "edwards25519". */
const ED25519_EC_PARAMS_NAMED = Uint8Array.from([0x13, 0x0c, ...Buffer.from('edwards25519', 'ascii')]);
/** CKA_EC_POINT of an Ed25519 key is a DER OCTET STRING of the 32 raw bytes. */
const EC_POINT_PREFIX = [0x04, 0x20] as const;
/** Signed and verified when a key is opened: proves the private key in the token matches the public key object. */
const SELF_TEST_MESSAGE = Buffer.from('backstop pkcs11 self-test', 'utf8');

type Lib = Pkcs11Js.PKCS11;
type Handle = Buffer;

let binding: typeof Pkcs11Js | undefined;
function pkcs11js(): typeof Pkcs11Js {
  if (binding === undefined) {
    try {
      binding = createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11Js;
    } catch (err) {
      throw new Pkcs11KeyError(`the PKCS#11 binding (pkcs11js) cannot be loaded: ${(err as Error).message}; run npm install (it compiles with node-gyp)`);
    }
  }
  return binding;
}

/** The CKR_… name of a PKCS#11 failure, or the message of any other error. */
function reason(err: unknown): string {
  const e = err as { message?: unknown } | null;
  return typeof e?.message === 'string' && e.message !== '' ? e.message : String(err);
}

/** Whether `err` is the PKCS#11 return value `name` (e.g. CKR_USER_ALREADY_LOGGED_IN). */
function isCkr(err: unknown, name: string): boolean {
  return reason(err) === name;
}

/** Return values after which a fresh session (and login) may succeed: the token was reset, reconnected or logged out. */
const SESSION_LOST = new Set([
  'CKR_SESSION_HANDLE_INVALID', 'CKR_SESSION_CLOSED', 'CKR_USER_NOT_LOGGED_IN', 'CKR_DEVICE_REMOVED',
  'CKR_TOKEN_NOT_PRESENT', 'CKR_DEVICE_ERROR', 'CKR_KEY_HANDLE_INVALID', 'CKR_OBJECT_HANDLE_INVALID',
]);

/** One loaded and initialised PKCS#11 library, shared by the keys opened from it (C_Initialize once per process). */
class Library {
  static readonly #open = new Map<string, Library>();
  #users = 0;
  private constructor(readonly path: string, readonly lib: Lib) {}

  static acquire(path: string): Library {
    let library = Library.#open.get(path);
    if (library === undefined) {
      const { PKCS11 } = pkcs11js();
      const lib = new PKCS11();
      try {
        lib.load(path);
      } catch (err) {
        throw new Pkcs11KeyError(
          `cannot load the PKCS#11 library PKCS11_MODULE=${path}: ${reason(err)}; point PKCS11_MODULE at your HSM's PKCS#11 library (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)`,
        );
      }
      try {
        lib.C_Initialize();
      } catch (err) {
        if (!isCkr(err, 'CKR_CRYPTOKI_ALREADY_INITIALIZED')) {
          lib.close();
          throw new Pkcs11KeyError(`the PKCS#11 library ${path} failed to initialise (C_Initialize: ${reason(err)}); check its configuration (SoftHSM2: SOFTHSM2_CONF)`);
        }
      }
      library = new Library(path, lib);
      Library.#open.set(path, library);
    }
    library.#users++;
    return library;
  }

  /** Finalises and unloads the library when its last key is closed. */
  release(): void {
    if (--this.#users > 0) return;
    Library.#open.delete(this.path);
    try {
      this.lib.C_Finalize();
    } finally {
      this.lib.close();
    }
  }
}

/** Reads the token's user PIN from `PKCS11_PIN_FILE`, refusing a file readable by group or others. */
export function readPinFile(path: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new Pkcs11KeyError(`cannot read PKCS11_PIN_FILE ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new Pkcs11KeyError(`PKCS11_PIN_FILE ${path} is readable or writable by group or others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
  }
  // One trailing line break is the editor's, not the PIN's.
  const pin = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  if (pin === '') throw new Pkcs11KeyError(`PKCS11_PIN_FILE ${path} is empty; write the token's user PIN into it`);
  return pin;
}

const trimLabel = (label: string): string => label.replace(/[ \0]+$/, '');

/** The slot holding the token the URI names; throws naming the tokens present when none or several match. */
function findSlot(lib: Lib, uri: Pkcs11Uri): Handle {
  let slots: Handle[];
  try {
    slots = lib.C_GetSlotList(true);
  } catch (err) {
    throw new Pkcs11KeyError(`cannot list the PKCS#11 slots: ${reason(err)}`);
  }
  const tokens = slots.map((slot) => ({ slot, info: lib.C_GetTokenInfo(slot) }));
  const matches = tokens.filter(({ info }) =>
    trimLabel(info.label) === uri.token &&
    (uri.serial === undefined || trimLabel(info.serialNumber) === uri.serial) &&
    (uri.manufacturer === undefined || trimLabel(info.manufacturerID) === uri.manufacturer) &&
    (uri.model === undefined || trimLabel(info.model) === uri.model),
  );
  const labels = tokens.map(({ info }) => trimLabel(info.label)).filter((l) => l !== '');
  if (matches.length === 0) {
    throw new Pkcs11KeyError(`no token labelled "${uri.token}" in this PKCS#11 library (tokens present: ${labels.length > 0 ? labels.map((l) => `"${l}"`).join(', ') : 'none'}); check token= in the URI and PKCS11_MODULE`);
  }
  if (matches.length > 1) throw new Pkcs11KeyError(`${matches.length} tokens are labelled "${uri.token}"; add serial=<serial number> to the URI`);
  return matches[0]!.slot;
}

function openSession(lib: Lib, slot: Handle, pin: string, rw: boolean): Handle {
  const p = pkcs11js();
  let session: Handle;
  try {
    session = lib.C_OpenSession(slot, p.CKF_SERIAL_SESSION | (rw ? p.CKF_RW_SESSION : 0));
  } catch (err) {
    throw new Pkcs11KeyError(`cannot open a session with the token: ${reason(err)}`);
  }
  try {
    lib.C_Login(session, p.CKU_USER, pin);
  } catch (err) {
    // Login is per application and token: a second key's session finds it done.
    if (!isCkr(err, 'CKR_USER_ALREADY_LOGGED_IN')) {
      closeQuietly(lib, session);
      const hint = isCkr(err, 'CKR_PIN_INCORRECT') ? '; check the PIN in PKCS11_PIN_FILE' : isCkr(err, 'CKR_PIN_LOCKED') ? '; the user PIN is locked: unlock it with the SO PIN' : '';
      throw new Pkcs11KeyError(`cannot log in to the token: ${reason(err)}${hint}`);
    }
  }
  return session;
}

function closeQuietly(lib: Lib, session: Handle): void {
  try {
    lib.C_CloseSession(session);
  } catch {
    // The session is gone already.
  }
}

function findObjects(lib: Lib, session: Handle, template: Pkcs11Js.Template): Handle[] {
  lib.C_FindObjectsInit(session, template);
  try {
    return lib.C_FindObjects(session, 16);
  } finally {
    lib.C_FindObjectsFinal(session);
  }
}

/** The URI's label and id as a search template. */
function identity(uri: Pkcs11Uri): Pkcs11Js.Template {
  const p = pkcs11js();
  return [
    ...(uri.object !== undefined ? [{ type: p.CKA_LABEL, value: uri.object }] : []),
    ...(uri.id !== undefined ? [{ type: p.CKA_ID, value: Buffer.from(uri.id) }] : []),
  ];
}

/** A CK_ULONG attribute (native byte order, little-endian on the platforms Node ships for). */
const ulong = (b: Buffer): number => (b.length === 0 ? -1 : b.readUIntLE(0, Math.min(b.length, 6)));

const describeKey = (uri: Pkcs11Uri): string =>
  [uri.object !== undefined ? `labelled "${uri.object}"` : '', uri.id !== undefined ? `with id ${Buffer.from(uri.id).toString('hex')}` : ''].filter(Boolean).join(' ');

/** The raw 32-byte public key from CKA_EC_POINT (`04 20` ‖ key; a few tokens store the 32 bytes bare). */
export function ed25519PointBytes(point: Uint8Array): Uint8Array {
  if (point.length === 34 && point[0] === EC_POINT_PREFIX[0] && point[1] === EC_POINT_PREFIX[1]) return point.slice(2);
  if (point.length === 32) return Uint8Array.from(point);
  throw new Pkcs11KeyError(`CKA_EC_POINT is ${point.length} bytes, not an Ed25519 point (04 20 and 32 bytes)`);
}

const isEd25519Params = (params: Uint8Array): boolean =>
  Buffer.from(params).equals(Buffer.from(ED25519_EC_PARAMS)) || Buffer.from(params).equals(Buffer.from(ED25519_EC_PARAMS_NAMED));

function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** The token's key pair found by the URI: the private key's handle and the public key's raw bytes. */
function locateKey(lib: Lib, session: Handle, uri: Pkcs11Uri): { privateKey: Handle; publicKeyBytes: Uint8Array } {
  const p = pkcs11js();
  const what = `the key ${describeKey(uri)} in token "${uri.token}"`;
  let privates: Handle[];
  let publics: Handle[];
  try {
    privates = findObjects(lib, session, [{ type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY }, ...identity(uri)]);
    publics = findObjects(lib, session, [{ type: p.CKA_CLASS, value: p.CKO_PUBLIC_KEY }, ...identity(uri)]);
  } catch (err) {
    throw new Pkcs11KeyError(`cannot search the token for ${what}: ${reason(err)}`);
  }
  if (privates.length === 0) throw new Pkcs11KeyError(`no private key ${describeKey(uri)} in token "${uri.token}"; check object= (or id=) in the URI, or create it with backstop init --pkcs11`);
  if (privates.length > 1) throw new Pkcs11KeyError(`${privates.length} private keys are ${describeKey(uri)} in token "${uri.token}"; add id=%XX… to the URI to name one`);
  if (publics.length !== 1) {
    throw new Pkcs11KeyError(`${what} needs exactly one public key object beside it (found ${publics.length}); its CKA_EC_POINT is how backstop learns the address`);
  }
  const privateKey = privates[0]!;
  const attrs = lib.C_GetAttributeValue(session, privateKey, [
    { type: p.CKA_KEY_TYPE }, { type: p.CKA_SIGN }, { type: p.CKA_SENSITIVE }, { type: p.CKA_EXTRACTABLE },
  ]);
  const value = (type: number) => attrs.find((a) => a.type === type)?.value ?? Buffer.alloc(0);
  const flag = (type: number) => value(type).length > 0 && value(type)[0] !== 0;
  if (ulong(value(p.CKA_KEY_TYPE)) !== CKK_EC_EDWARDS) {
    throw new Pkcs11KeyError(`${what} is not an Edwards-curve (Ed25519) key; Solana signs with Ed25519: create one with backstop init --pkcs11`);
  }
  if (!flag(p.CKA_SIGN)) throw new Pkcs11KeyError(`${what} may not sign (CKA_SIGN is false)`);
  // Custody: a key the token would hand out is a key file with extra steps.
  if (!flag(p.CKA_SENSITIVE) || flag(p.CKA_EXTRACTABLE)) {
    throw new Pkcs11KeyError(`${what} can be exported from the token (CKA_SENSITIVE false or CKA_EXTRACTABLE true); generate a non-exportable key inside the token (backstop init --pkcs11)`);
  }
  const [params, point] = lib.C_GetAttributeValue(session, publics[0]!, [{ type: p.CKA_EC_PARAMS }, { type: p.CKA_EC_POINT }]);
  if (!params?.value || !isEd25519Params(params.value)) throw new Pkcs11KeyError(`${what} is not on curve Ed25519 (CKA_EC_PARAMS ${params?.value?.toString('hex') ?? 'missing'})`);
  return { privateKey, publicKeyBytes: ed25519PointBytes(point?.value ?? Buffer.alloc(0)) };
}

/** An Ed25519 key in a token: signs through C_Sign; usable as the co-signer's Signer and as the audit signer. */
export interface Pkcs11Ed25519Key {
  readonly address: Address;
  /** Same as `address` (the audit signer's name for it). */
  readonly publicKey: Address;
  readonly publicKeyBytes: Uint8Array;
  /** The URI the key was opened by. */
  readonly uri: string;
  /** The 64-byte Ed25519 signature of `message`, verified before it is returned. Throws Pkcs11KeyError. */
  sign(message: Uint8Array): Uint8Array;
  signMessage(message: Uint8Array): Promise<Uint8Array>;
  /** Closes the session; the library is finalised when its last key closes. */
  close(): void;
}

/**
 * Opens the key named by `uri` through `settings` (the library and the PIN file): logs in, finds
 * exactly one Ed25519 private key with a public key object beside it, refuses exportable keys, and
 * signs a self-test message to prove the pair matches. Throws Pkcs11KeyError.
 */
export function openPkcs11Key(uri: Pkcs11Uri, settings: Pkcs11Settings): Pkcs11Ed25519Key {
  const pin = readPinFile(settings.pinFile);
  const library = Library.acquire(settings.module);
  const lib = library.lib;
  let session: Handle | null = null;
  let privateKey: Handle | null = null;
  let publicKeyBytes: Uint8Array | null = null;
  let closed = false;

  // (Re)connects: a fresh session, login, and the key's handle, which is per session on some tokens.
  const connect = (): { session: Handle; privateKey: Handle } => {
    const s = openSession(lib, findSlot(lib, uri), pin, false);
    try {
      const found = locateKey(lib, s, uri);
      if (publicKeyBytes !== null && !Buffer.from(found.publicKeyBytes).equals(Buffer.from(publicKeyBytes))) {
        throw new Pkcs11KeyError(`the key at ${uri.text} changed since it was opened; restart backstop after checking the token`);
      }
      publicKeyBytes = found.publicKeyBytes;
      session = s;
      privateKey = found.privateKey;
      return { session: s, privateKey: found.privateKey };
    } catch (err) {
      closeQuietly(lib, s);
      throw err;
    }
  };

  const rawSign = (message: Uint8Array, handles: { session: Handle; privateKey: Handle }): Buffer => {
    lib.C_SignInit(handles.session, { mechanism: CKM_EDDSA }, handles.privateKey);
    return lib.C_Sign(handles.session, Buffer.from(message), Buffer.alloc(64));
  };

  let verifier: KeyObject;
  try {
    const handles = connect();
    verifier = publicKeyObject(publicKeyBytes!);
    const check = rawSign(SELF_TEST_MESSAGE, handles);
    if (check.length !== 64 || !edVerify(null, SELF_TEST_MESSAGE, verifier, check)) {
      throw new Pkcs11KeyError(`the private key at ${uri.text} does not match its public key object (the self-test signature does not verify)`);
    }
  } catch (err) {
    if (session !== null) closeQuietly(lib, session);
    library.release();
    if (err instanceof Pkcs11KeyError) throw err;
    throw new Pkcs11KeyError(`cannot use the key at ${uri.text}: ${reason(err)}`);
  }
  const raw = publicKeyBytes!;
  const address = getBase58Decoder().decode(raw) as Address;

  const sign = (message: Uint8Array): Uint8Array => {
    if (closed) throw new Pkcs11KeyError(`the key at ${uri.text} was closed`);
    let signature: Buffer;
    try {
      // No session: an earlier reconnect failed; try again now (the HSM may be back).
      signature = rawSign(message, session !== null && privateKey !== null ? { session, privateKey } : connect());
    } catch (err) {
      if (!(err instanceof Pkcs11KeyError) && !SESSION_LOST.has(reason(err))) throw new Pkcs11KeyError(`the token refused to sign with ${uri.text}: ${reason(err)}`);
      // The token was reset or reconnected: one fresh session, then fail closed.
      if (session !== null) closeQuietly(lib, session);
      session = null;
      try {
        signature = rawSign(message, connect());
      } catch (again) {
        throw new Pkcs11KeyError(`the token could not sign with ${uri.text} after reconnecting: ${reason(again)}; check the HSM, then restart backstop`);
      }
    }
    if (signature.length !== 64 || !edVerify(null, message, verifier, signature)) {
      throw new Pkcs11KeyError(`the token returned a signature that does not verify against ${address}; nothing was signed — check the HSM`);
    }
    return new Uint8Array(signature);
  };

  const key: Pkcs11Ed25519Key & { toJSON(): object; toString(): string; [inspect.custom](): string } = {
    address,
    publicKey: address,
    publicKeyBytes: raw,
    uri: uri.text,
    sign,
    signMessage: async (message) => sign(message),
    close: () => {
      if (closed) return;
      closed = true;
      if (session !== null) closeQuietly(lib, session);
      session = null;
      library.release();
    },
    toJSON: () => ({ address, uri: uri.text }),
    toString: () => `Pkcs11Key(${uri.text}, ${address})`,
    [inspect.custom]: () => `Pkcs11Key(${uri.text}, ${address})`,
  };
  return key;
}

/**
 * Generates an Ed25519 key pair inside the token labelled `token` (CKM_EC_EDWARDS_KEY_PAIR_GEN,
 * CKA_EC_PARAMS = the Ed25519 OID), private half sensitive and not extractable, both labelled
 * `label`. Refuses a label already in use. Returns the key's URI and address (from CKA_EC_POINT).
 */
export function generatePkcs11Key(o: { token: string; label: string }, settings: Pkcs11Settings): { uri: string; address: Address } {
  const p = pkcs11js();
  const pin = readPinFile(settings.pinFile);
  const library = Library.acquire(settings.module);
  const lib = library.lib;
  const uri: Pkcs11Uri = { text: formatPkcs11Uri({ token: o.token, object: o.label }), token: o.token, object: o.label };
  let session: Handle | null = null;
  try {
    const slot = findSlot(lib, uri);
    const mechanisms = lib.C_GetMechanismList(slot);
    if (!mechanisms.includes(CKM_EC_EDWARDS_KEY_PAIR_GEN) || !mechanisms.includes(CKM_EDDSA)) {
      throw new Pkcs11KeyError(`token "${o.token}" offers no Ed25519 (CKM_EC_EDWARDS_KEY_PAIR_GEN and CKM_EDDSA); Solana keys need both — use an HSM (or SoftHSM2 ≥ 2.6) that has them`);
    }
    session = openSession(lib, slot, pin, true);
    if (findObjects(lib, session, [{ type: p.CKA_LABEL, value: o.label }]).length > 0) {
      throw new Pkcs11KeyError(`token "${o.token}" already holds an object labelled "${o.label}"; backstop never reuses or replaces a key: choose another label (--pkcs11-prefix)`);
    }
    const id = Buffer.from(o.label, 'utf8');
    const pair = lib.C_GenerateKeyPair(
      session,
      { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN },
      [
        { type: p.CKA_TOKEN, value: true },
        { type: p.CKA_VERIFY, value: true },
        { type: p.CKA_EC_PARAMS, value: Buffer.from(ED25519_EC_PARAMS) },
        { type: p.CKA_LABEL, value: o.label },
        { type: p.CKA_ID, value: id },
      ],
      [
        { type: p.CKA_TOKEN, value: true },
        { type: p.CKA_PRIVATE, value: true },
        { type: p.CKA_SIGN, value: true },
        { type: p.CKA_SENSITIVE, value: true },
        { type: p.CKA_EXTRACTABLE, value: false },
        { type: p.CKA_LABEL, value: o.label },
        { type: p.CKA_ID, value: id },
      ],
    );
    const [point] = lib.C_GetAttributeValue(session, pair.publicKey, [{ type: p.CKA_EC_POINT }]);
    const address = getBase58Decoder().decode(ed25519PointBytes(point?.value ?? Buffer.alloc(0))) as Address;
    return { uri: uri.text, address };
  } catch (err) {
    if (err instanceof Pkcs11KeyError) throw err;
    throw new Pkcs11KeyError(`cannot create the key "${o.label}" in token "${o.token}": ${reason(err)}`);
  } finally {
    if (session !== null) closeQuietly(lib, session);
    library.release();
  }
}
