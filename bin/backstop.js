#!/usr/bin/env -S node --max-semi-space-size=2
// Runs the TypeScript CLI through tsx so `npx backstop` works on a clean clone without a build step.
// --max-semi-space-size=2 (MB; V8's default is 16): the service makes short-lived garbage per
// request, and a 16 MB semi-space lets ~50 MB of it sit in RSS; at 2 MB the young generation is
// scavenged more often, which measured no slower (bench/http.ts) and ~45 MB smaller. A shebang
// flag applies only when this file is executed (npx backstop, ./bin/backstop.js); under
// `node bin/backstop.js` pass it yourself.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
// After tsx, so it sees tsx's output: keeps dependencies' source maps out of memory (see the file).
registerHooks('./dependency-source-maps.mjs', import.meta.url);
await import('../src/cli.ts');
