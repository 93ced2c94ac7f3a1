/** Runs `fn` `n` times after `warmup` runs and returns the median and p95 in milliseconds. */
export async function timeIt(fn: () => unknown | Promise<unknown>, n: number, warmup = Math.min(20, n)): Promise<{ median: number; p95: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(n / 2)]!, p95: samples[Math.floor(n * 0.95)]! };
}

export const ms = (x: number) => `${x.toFixed(3)} ms`;
