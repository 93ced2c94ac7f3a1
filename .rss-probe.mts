const mods = process.argv.slice(2);
const mb = (n: number) => (n / 1048576).toFixed(1);
let last = process.memoryUsage();
console.log('start', mb(last.rss), mb(last.heapUsed));
for (const m of mods) {
  await import(m);
  const now = process.memoryUsage();
  console.log(m.padEnd(60), 'rss +', mb(now.rss - last.rss), '=', mb(now.rss), 'heap', mb(now.heapUsed), 'ext', mb(now.external));
  last = now;
}
