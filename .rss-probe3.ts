import { readFileSync } from 'node:fs';
import { startServiceProcess } from './bench/service-process.ts';
import { drive } from './bench/http.ts';
import { signRequest } from './src/server/signing.ts';
const dump = async (pid: number) => { process.kill(pid, 'SIGUSR2'); await new Promise((r) => setTimeout(r, 300)); return readFileSync(`/tmp/rss/mem-${pid}.txt`, 'utf8'); };
for (const opts of (process.env.OPTS ?? '').split('|')) {
  const s = await startServiceProcess({ nodeOptions: `--expose-gc --import /work/main/.rss-memdump.mjs ${opts}` });
  console.log(opts, '\nSTART', await dump(s.pid));
  const path = '/v1/loss-events';
  const now = Math.floor(Date.now() / 1000);
  const reqs = Array.from({ length: 9000 }, (_, i) => { const x = signRequest({ source: 'sandbox', key: s.source.key, method: 'POST', path, body: { vault: '11111111111111111111111111111111', note: `n${i}` }, timestamp: now }); return { path, headers: { ...x.headers, 'content-type': 'application/json' }, body: x.body }; });
  await drive(s.url, reqs);
  console.log('LOADED', await dump(s.pid)); console.log('GC', await dump(s.pid), 'status rss', s.rssMb().toFixed(1));
  console.log(readFileSync(`/proc/${s.pid}/smaps_rollup`, 'utf8').split('\n').slice(1, 6).join(' | '));
  await s.stop();
}
