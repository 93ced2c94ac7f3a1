import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30000,
    hookTimeout: 60000,
    globalSetup: ['test/support/pg-global-setup.ts'],
    // Audit anchors of test databases go to a state dir of this run, not the user's ~/.local/state.
    env: { XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'backstop-state-')) },
  },
});
