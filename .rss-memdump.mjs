import { writeFileSync } from 'node:fs';
globalThis.__n = 0;
import v8 from 'node:v8';
process.on('SIGUSR2', () => {
  if (++globalThis.__n > 2) globalThis.gc();
  const m = process.memoryUsage();
  const spaces = v8.getHeapSpaceStatistics().map((s) => `${s.space_name}=${(s.space_size / 1048576).toFixed(1)}/${(s.space_used_size / 1048576).toFixed(1)}`).join(' ');
  const h = v8.getHeapStatistics();
  writeFileSync(`/tmp/rss/mem-${process.pid}.txt`, `rss ${(m.rss/1048576).toFixed(1)} heapTotal ${(m.heapTotal/1048576).toFixed(1)} heapUsed ${(m.heapUsed/1048576).toFixed(1)} external ${(m.external/1048576).toFixed(1)} arrayBuffers ${(m.arrayBuffers/1048576).toFixed(1)} malloced ${(h.malloced_memory/1048576).toFixed(1)} peakMalloced ${(h.peak_malloced_memory/1048576).toFixed(1)}\n${spaces}\n`);
});
