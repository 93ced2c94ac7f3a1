/**
 * A real headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core
 * (never a browser download), one launch per test file with a fresh profile, and the place screenshots
 * are kept as test artefacts (test-artifacts/, git-ignored). `.ci/run` installs chromium when missing.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { Ed25519Keypair } from '../../src/store/keys.ts';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The artefacts directory (screenshots). */
export const ARTIFACTS = resolve('test-artifacts');

export interface Browser {
  readonly context: BrowserContext;
  /** A new tab at a phone's width (360 × 740 CSS px). */
  phone(): Promise<Page>;
  close(): Promise<void>;
}

/** Launches Chromium once, with a fresh --user-data-dir. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'backstop-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  return {
    context,
    phone: () => context.newPage(),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The page's width in CSS pixels as laid out (what would scroll sideways on a phone). */
export const scrollWidth = (page: Page): Promise<number> => page.evaluate<number>('document.documentElement.scrollWidth');

/** Saves a full-page screenshot under test-artifacts/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The messages the injected wallet of `page` signed, in order. */
export const walletSigned = async (page: Page): Promise<string[]> => JSON.parse((await page.evaluate<string | null>("sessionStorage.getItem('walletSigned')")) ?? '[]') as string[];

/**
 * Injects a Wallet Standard wallet into every document of `page`, before the page's own script: it
 * holds `key` (a real ed25519 key, imported into WebCrypto) and offers `standard:connect` and
 * `solana:signMessage` for one account whose address is `address` (the key's own unless told).
 */
export async function injectWallet(page: Page, key: Ed25519Keypair, address: string = key.publicKey): Promise<void> {
  const args = JSON.stringify({ d: Buffer.from(key.secretKeyBytes().slice(0, 32)).toString('base64url'), x: Buffer.from(key.publicKeyBytes).toString('base64url'), address });
  // Plain JavaScript (the tests compile without the DOM types); it runs in the page, not here.
  await page.addInitScript({ content: `(() => {
    const { d, x, address } = ${args};
    let imported;
    const privateKey = () => (imported ??= crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', d, x }, { name: 'Ed25519' }, false, ['sign']));
    const account = { address, publicKey: new Uint8Array(32), chains: ['solana:mainnet'], features: ['solana:signMessage'] };
    // What it signed, kept across the form's navigation (sessionStorage lives as long as the tab).
    const signed = { push: (m) => sessionStorage.setItem('walletSigned', JSON.stringify([...JSON.parse(sessionStorage.getItem('walletSigned') || '[]'), m])) };
    const wallet = {
      version: '1.0.0',
      name: 'Test Wallet',
      icon: 'data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=',
      chains: ['solana:mainnet'],
      accounts: [account],
      features: {
        'standard:connect': { version: '1.0.0', connect: async () => ({ accounts: [account] }) },
        'solana:signMessage': {
          version: '1.0.0',
          signMessage: async (...inputs) => Promise.all(inputs.map(async ({ message }) => {
            signed.push(new TextDecoder().decode(message));
            return { signedMessage: message, signature: new Uint8Array(await crypto.subtle.sign('Ed25519', await privateKey(), message)) };
          })),
        },
      },
    };
    const callback = (api) => api.register(wallet);
    window.addEventListener('wallet-standard:app-ready', (e) => callback(e.detail));
    window.dispatchEvent(new CustomEvent('wallet-standard:register-wallet', { detail: callback }));
  })();` });
}
