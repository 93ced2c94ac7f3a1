/**
 * A periodic task that never overlaps itself, backs off on errors (up to 8× its interval), and
 * reports when it last succeeded, for the lag metric and readiness. `stop()` waits for a run in flight.
 */
import type { Log } from './ports.ts';

export class Loop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private failures = 0;
  private stopped = false;
  /** When the task last completed without throwing. */
  lastSuccess: Date | null = null;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly task: () => Promise<unknown>,
    private readonly log: Log,
  ) {}

  start(): this {
    this.stopped = false;
    this.schedule(0);
    return this;
  }

  /** Runs the task now (or joins the run in flight). */
  async runNow(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        await this.task();
        this.failures = 0;
        this.lastSuccess = new Date();
      } catch (err) {
        this.failures += 1;
        this.log.warn({ loop: this.name, failures: this.failures, err: (err as Error).message }, 'periodic task failed; backing off');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      await this.runNow();
      this.schedule(this.intervalMs * Math.min(8, 2 ** this.failures));
    }, delay);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.running) await this.running;
  }
}
