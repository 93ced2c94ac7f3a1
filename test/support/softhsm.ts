/**
 * SoftHSM2 tokens for the PKCS#11 tests (Debian `softhsm2`, which .ci/run installs): each call
 * makes a token in a temp dir with its own SOFTHSM2_CONF, exported for this process, so tests never
 * share or touch a token. Without SoftHSM2 installed the tests fail and say how to install it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pkcs11Settings } from '../../src/config.ts';

const MODULES = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so'];

/** The SoftHSM2 PKCS#11 library; throws saying how to install it when absent. */
export function softhsmModule(): string {
  const found = MODULES.find((m) => existsSync(m));
  if (found === undefined) throw new Error('SoftHSM2 is not installed: apt-get install softhsm2 (the PKCS#11 tests need it; .ci/run installs it)');
  return found;
}

export interface TestToken {
  readonly label: string;
  readonly pin: string;
  readonly settings: Pkcs11Settings;
  /** The SOFTHSM2_CONF of this token, for child processes. */
  readonly conf: string;
  readonly dir: string;
}

/** A fresh, initialised token labelled `label`, its config exported as SOFTHSM2_CONF; PIN file 0600. */
export function freshToken(label = 'backstop', pin = '1234'): TestToken {
  const module = softhsmModule();
  const dir = mkdtempSync(join(tmpdir(), 'backstop-softhsm-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens, { mode: 0o700 });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '5678'], { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'pipe' });
  const pinFile = join(dir, 'pin');
  writeFileSync(pinFile, `${pin}\n`, { mode: 0o600 });
  return { label, pin, settings: { module, pinFile }, conf, dir };
}
