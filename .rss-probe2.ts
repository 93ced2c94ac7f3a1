import { startServiceProcess } from './bench/service-process.ts';
import { drive } from './bench/http.ts';
import { signRequest } from './src/server/signing.ts';
for (const opts of (process.env.OPTS ?? '').split('|')) {
  const s = await startServiceProcess({ nodeOptions: opts });
  const start = s.rssMb();
  const path = '/v1/loss-events';
  const now = Math.floor(Date.now() / 1000);
  const reqs = Array.from({ length: 9000 }, (_, i) => { const x = signRequest({ source: 'sandbox', key: s.source.key, method: 'POST', path, body: { vault: '11111111111111111111111111111111', note: `n${i}` }, timestamp: now }); return { path, headers: { ...x.headers, 'content-type': 'application/json' }, body: x.body }; });
  const r = await drive(s.url, reqs);
  console.log(JSON.stringify(opts).padEnd(40), 'start', start.toFixed(1), 'after', s.rssMb().toFixed(1), 'peak', s.peakRssMb().toFixed(1), Math.round(r.rps), [...r.statuses]);
  await s.stop();
}
