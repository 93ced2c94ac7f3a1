#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx backstop` works on a clean clone without a build step.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
// After tsx, so it sees tsx's output: keeps dependencies' source maps out of memory (see the file).
registerHooks('./dependency-source-maps.mjs', import.meta.url);
await import('../src/cli.ts');
