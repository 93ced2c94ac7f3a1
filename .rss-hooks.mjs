import { appendFileSync } from 'node:fs';
export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  appendFileSync('/tmp/rss/resolved.txt', r.url + '\n');
  return r;
}
