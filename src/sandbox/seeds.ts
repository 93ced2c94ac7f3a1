/**
 * The sandbox world: every key derives from a fixed, documented seed so that
 * `policies/example.yaml`, the test fixtures and the sandbox name the same addresses.
 * Seed of key NAME = sha256("backstop-sandbox-v1:" + NAME) used as an ed25519 seed.
 * These keys are public knowledge: production refuses any of them (docs/configuration.md).
 */
import { createHash } from 'node:crypto';
import { Keypair, PublicKey } from '@solana/web3.js';
import { address, type Address } from '@solana/kit';
import * as multisig from '@sqds/multisig';
import { PROGRAMS } from '../chain/programs.ts';

export { PROGRAMS };

/** The deterministic keypair named `name` (see the module comment for the derivation). */
export function sandboxKeypair(name: string): Keypair {
  const seed = createHash('sha256').update(`backstop-sandbox-v1:${name}`).digest();
  return Keypair.fromSeed(seed);
}

const pk = (a: string) => new PublicKey(a);
const pda = (seeds: (Buffer | Uint8Array)[], program: string): Address =>
  address(PublicKey.findProgramAddressSync(seeds, pk(program))[0].toBase58());
const kp = (name: string) => sandboxKeypair(name);
const addr = (k: Keypair): Address => address(k.publicKey.toBase58());

function ata(owner: Address, mint: Address, tokenProgram: Address = PROGRAMS.token): Address {
  return pda([pk(owner).toBuffer(), pk(tokenProgram).toBuffer(), pk(mint).toBuffer()], PROGRAMS.ata);
}

/** Every named keypair of the sandbox world. */
export const SANDBOX_KEYPAIRS = {
  cosigner: kp('cosigner'),
  curator: kp('curator'),
  feePayer: kp('fee-payer'),
  audit: kp('audit'),
  webhookSource: kp('webhook-source'),
  multisigCreateKey: kp('multisig-create-key'),
  vault: kp('kvault'),
  vaultAdmin: kp('kvault-admin'),
  farm: kp('farm'),
  reserve: kp('reserve'),
  lendingMarket: kp('lending-market'),
  lendingMarketOwner: kp('lending-market-owner'),
  obligation: kp('obligation'),
  tokenMint: kp('token-mint'),
  collateralMint: kp('collateral-mint'),
  distributorBase: kp('distributor-base'),
  outsider: kp('outsider-wallet'),
  curatorWallet: kp('curator-wallet'),
  misconfiguredVault: kp('kvault-misconfigured'),
  misconfiguredFarm: kp('farm-misconfigured'),
} as const;

const K = SANDBOX_KEYPAIRS;
const vault = addr(K.vault);
const farm = addr(K.farm);
const tokenMint = addr(K.tokenMint);
const sharesMint = pda([Buffer.from('shares'), pk(vault).toBuffer()], PROGRAMS.kvault);
const multisigPda = address(multisig.getMultisigPda({ createKey: K.multisigCreateKey.publicKey })[0].toBase58());
const vaultPda = address(multisig.getVaultPda({ multisigPda: pk(multisigPda), index: 0 })[0].toBase58());
const misconfiguredVault = addr(K.misconfiguredVault);
const misconfiguredFarm = addr(K.misconfiguredFarm);
const misconfiguredSharesMint = pda([Buffer.from('shares'), pk(misconfiguredVault).toBuffer()], PROGRAMS.kvault);
const distributorVersion = Buffer.alloc(8); // version 0, u64 LE
const escrowAuthority = pda(
  [Buffer.from('MerkleDistributor'), K.distributorBase.publicKey.toBuffer(), pk(sharesMint).toBuffer(), distributorVersion],
  PROGRAMS.distributor,
);

/** Every address of the sandbox world, as kit `Address`es. */
export const SANDBOX = {
  cosigner: addr(K.cosigner),
  curator: addr(K.curator),
  feePayer: addr(K.feePayer),
  audit: addr(K.audit),
  webhookSource: addr(K.webhookSource),
  multisigCreateKey: addr(K.multisigCreateKey),
  multisig: multisigPda,
  vaultIndex: 0,
  vaultPda,
  vault,
  vaultAdmin: addr(K.vaultAdmin),
  vaultBaseAuthority: pda([Buffer.from('authority'), pk(vault).toBuffer()], PROGRAMS.kvault),
  vaultTokenVault: pda([Buffer.from('token_vault'), pk(vault).toBuffer()], PROGRAMS.kvault),
  sharesMint,
  tokenMint,
  tokenDecimals: 6,
  reserve: addr(K.reserve),
  ctokenVault: pda([Buffer.from('ctoken_vault'), pk(vault).toBuffer(), pk(addr(K.reserve)).toBuffer()], PROGRAMS.kvault),
  lendingMarket: addr(K.lendingMarket),
  lendingMarketOwner: addr(K.lendingMarketOwner),
  obligation: addr(K.obligation),
  collateralMint: addr(K.collateralMint),
  farm,
  farmVault: pda([Buffer.from('fvault'), pk(farm).toBuffer(), pk(sharesMint).toBuffer()], PROGRAMS.farms),
  farmVaultsAuthority: pda([Buffer.from('authority'), pk(farm).toBuffer()], PROGRAMS.farms),
  /** The multisig vault's kToken ATA: where `withdraw_from_farm_vault` sends the kTokens first. */
  vaultPdaSharesAta: ata(vaultPda, sharesMint),
  escrowAuthority,
  /** The compensation escrow: the merkle distributor's kToken vault (ATA of an off-curve PDA). */
  escrow: ata(escrowAuthority, sharesMint),
  outsider: addr(K.outsider),
  /** A kToken account that is not an escrow: the destination of the sandbox's denied proposal. */
  outsiderSharesAta: ata(addr(K.outsider), sharesMint),
  curatorWallet: addr(K.curatorWallet),
  /** A second kvault whose Insurance Pool is set up the way the documented SDK path leaves it: `pool check` fails it. */
  misconfiguredVault,
  /** Its FLC farm: `withdraw_authority` unset, a 7-day cooldown, admin the vault admin key. */
  misconfiguredFarm,
  misconfiguredSharesMint,
  misconfiguredFarmVault: pda([Buffer.from('fvault'), pk(misconfiguredFarm).toBuffer(), pk(misconfiguredSharesMint).toBuffer()], PROGRAMS.farms),
  misconfiguredFarmVaultsAuthority: pda([Buffer.from('authority'), pk(misconfiguredFarm).toBuffer()], PROGRAMS.farms),
} as const;

/** Telegram ids of the sandbox roster (docs/configuration.md sandbox.json). */
export const SANDBOX_TELEGRAM = {
  chatId: -1001,
  curators: [1001],
  council: [2001, 2002, 2003],
  outsider: 3001,
} as const;

/** Public keys production must refuse to run with (docs/configuration.md). */
export const SANDBOX_PUBLIC_KEYS: ReadonlySet<string> = new Set(Object.values(SANDBOX_KEYPAIRS).map((k) => k.publicKey.toBase58()));

export { ata as associatedTokenAddress };

/** Every public key and address of the sandbox world: production refuses a policy or key naming one (docs/configuration.md). */
export const SANDBOX_ADDRESSES: ReadonlySet<string> = new Set([
  ...SANDBOX_PUBLIC_KEYS,
  ...Object.values(SANDBOX).filter((v): v is Extract<typeof v, string> => typeof v === 'string'),
]);
