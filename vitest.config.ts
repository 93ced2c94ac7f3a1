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
    // BACKSTOP_RUN_SOURCES: the CLI the tests spawn runs src/ (what they test), never a dist/ build that may be stale.
    env: { XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'backstop-state-')), BACKSTOP_RUN_SOURCES: '1' },
  },
});
