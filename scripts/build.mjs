#!/usr/bin/env node
// `npm run build` (run by `prepare`): src/cli.ts → dist/ as plain ES modules for bin/backstop.js and
// the production image. The Solana codecs, the Squads and Kamino SDKs, zod, yaml and commander are
// bundled in, tree-shaken: loaded file by file from node_modules (hundreds of modules, whole SDKs
// for a few decoders) they made `evaluate --snapshot` take ~1 s; bundled it takes ~0.25 s. Every other package (the
// service's express, grammY, pino, pg; native modules) stays an import from node_modules, loaded as
// before. Commands stay lazily loaded: each dynamic import() becomes its own chunk (splitting).
// Types are not checked here: `npm run typecheck` does that. Usage: node scripts/build.mjs [--outdir DIR]
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--outdir');
const outdir = at === -1 ? join(ROOT, 'dist') : resolve(process.argv[at + 1] ?? '');
if (at !== -1 && !process.argv[at + 1]) {
  process.stderr.write('build: --outdir needs a directory\n');
  process.exit(2);
}

/** Packages bundled into dist/: pure JavaScript, no native code, no files read beside themselves. */
const BUNDLED = [/^@solana\//, /^@solana-program\//, /^@sqds\/multisig$/, /^@kamino-finance\//, /^zod(\/|$)/, /^yaml$/, /^commander$/, /^bn\.js$/, /^@noble\//];

/** Packages that locate files through __dirname, __filename or the call stack: never bundled (native bindings: bigint-buffer via spl-token, ws's optional helpers). */
const FROM_NODE_MODULES = [/^bindings$/, /^bigint-buffer$/, /^node-gyp-build$/, /^bufferutil$/, /^utf-8-validate$/];

/** A bare specifier (a package, not a relative path or a node: builtin) outside BUNDLED stays external. */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { external: true };
      // Imports from inside bundled packages resolve normally (their own dependencies come along),
      // except packages that find files beside themselves (native bindings): those load from node_modules.
      if (FROM_NODE_MODULES.some((re) => re.test(args.path))) return { external: true };
      if (args.importer.includes('/node_modules/')) return undefined;
      return BUNDLED.some((re) => re.test(args.path)) ? undefined : { external: true };
    });
  },
};

/**
 * npm nests a copy of a @solana/* package under each dependent whose version differs from the hoisted
 * one, so one version can sit at thirty paths; a bundler keeps each path. One path per name@version.
 */
const dedupeSolana = {
  name: 'dedupe-solana',
  setup(b) {
    const canonical = new Map();
    b.onResolve({ filter: /^@solana\// }, async (args) => {
      if (args.pluginData === 'dedupe') return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'dedupe' });
      if (r.errors.length > 0 || r.external) return r;
      const pkgDir = r.path.slice(0, r.path.lastIndexOf(`/node_modules/${args.path.split('/').slice(0, 2).join('/')}/`)) + `/node_modules/${args.path.split('/').slice(0, 2).join('/')}`;
      const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
      const key = `${args.path}@${version}|${args.kind === 'require-call' ? 'cjs' : 'esm'}`;
      if (!canonical.has(key)) canonical.set(key, r.path);
      return { ...r, path: canonical.get(key) };
    });
  },
};

/**
 * The farms-sdk's codama client is CommonJS: its require('@solana/kit') would pull kit's whole CommonJS
 * build (RPC, subscriptions, ws) into every decision, untouched by tree-shaking. It gets a module
 * re-exporting, from the ES build the rest of backstop uses, just the names its files read
 * (`kit_1.<name>`, found here); any other use of `kit_1` fails the build rather than guess.
 */
const FARMS_CODEGEN = join(ROOT, 'node_modules/@kamino-finance/farms-sdk/dist/@codegen');
const farmsKit = {
  name: 'farms-kit',
  setup(b) {
    b.onResolve({ filter: /^@solana\/kit$/ }, (args) =>
      args.kind === 'require-call' && args.importer.startsWith(FARMS_CODEGEN) ? { path: 'kit', namespace: 'farms-kit' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'farms-kit' }, () => {
      const names = new Set();
      const walk = (dir) => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
          const path = join(dir, e.name);
          if (e.isDirectory()) walk(path);
          else if (e.name.endsWith('.js')) {
            const text = readFileSync(path, 'utf8');
            for (const m of text.matchAll(/\bkit_1\b(.)/g)) {
              if (m[1] !== '.' && m[1] !== ' ') throw new Error(`${path}: uses kit_1 other than as kit_1.<name>; the farms-kit shim cannot cover it`);
            }
            for (const m of text.matchAll(/\bkit_1\.([A-Za-z0-9_$]+)/g)) names.add(m[1]);
          }
        }
      };
      walk(FARMS_CODEGEN);
      return { contents: `export { ${[...names].sort().join(', ')} } from '@solana/kit';`, resolveDir: ROOT, loader: 'js' };
    });
  },
};

/**
 * kit's WebSocket channel imports ws at load, and ws loads http, https, tls and zlib (~20 ms per CLI start)
 * for RPC subscriptions backstop never opens. The channel gets ws on its first `new WebSocket`, from
 * node_modules, with the readyState constants every WebSocket has (the WHATWG spec fixes them).
 */
const lazyWs = {
  name: 'lazy-ws',
  setup(b) {
    b.onResolve({ filter: /^ws$/ }, (args) => (args.importer.includes('/@solana/rpc-subscriptions-channel-websocket/') ? { path: 'ws', namespace: 'lazy-ws' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy-ws' }, () => ({
      contents: [
        "import { createRequire } from 'node:module';",
        'let ws;',
        'export default class WebSocket {',
        '  static CONNECTING = 0; static OPEN = 1; static CLOSING = 2; static CLOSED = 3;',
        "  constructor(...args) { ws ??= createRequire(import.meta.url)('ws'); return new ws(...args); }",
        '}',
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'js',
    }));
  },
};

/**
 * In an ES bundle __dirname and __filename do not exist: a bundled file that reads them would throw only
 * when that line runs. The build fails instead, naming the file, so it joins FROM_NODE_MODULES.
 */
const noModulePaths = {
  name: 'no-module-paths',
  setup(b) {
    b.onLoad({ filter: /\/node_modules\/.*\.c?js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (/\b__(dirname|filename)\b/.test(text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''))) {
        return { errors: [{ text: `${args.path} reads __dirname or __filename, which a bundle does not have: add its package to FROM_NODE_MODULES in scripts/build.mjs` }] };
      }
      return undefined;
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: { cli: 'src/cli.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Class and function names survive bundling: errors are told apart and printed by name.
  keepNames: true,
  // CommonJS code inside bundled packages calls require() for Node's builtins.
  banner: { js: "import { createRequire as __backstopCreateRequire } from 'node:module'; const require = __backstopCreateRequire(import.meta.url);" },
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  plugins: [farmsKit, lazyWs, externalPackages, dedupeSolana, noModulePaths],
});
