/**
 * Refused presses are audit-logged (docs/telegram.md), but one Telegram user pressing a stale or foreign
 * button a thousand times must not write a thousand entries. A {@link RefusalFolder} audits a user's
 * first refusal at once and counts the next ones of that minute; when the minute ends (its timer, or
 * the user's next refusal after it, or `flush()` on a clean stop) they are written as ONE
 * `press.refused` entry with the last press, `count`, `since`, `until` and the count per reason.
 * The bot installs a folder on its workflow; without one every refusal is written as it comes.
 */
import type { JsonInput, Store } from '../store/types.ts';
import type { Log } from './ports.ts';

/** docs/telegram.md: repeated refusals of one user within a minute are one audit entry. */
export const REFUSAL_WINDOW_MS = 60_000;
/** Distinct reasons counted per folded entry; more are counted under "other reasons". */
const MAX_REASONS = 16;

/** What a refused press's audit entry carries (at least its reason). */
export type RefusalPayload = { readonly [key: string]: JsonInput } & { readonly reason: string };

interface Fold {
  readonly startedAt: number;
  count: number;
  since: Date | null;
  until: Date | null;
  last: RefusalPayload | null;
  readonly reasons: Map<string, number>;
  timer: ReturnType<typeof setTimeout> | null;
}

export interface RefusalFolderOptions {
  readonly store: Pick<Store, 'appendAudit'>;
  /** The workflow's clock: windows and `since` / `until` are in its time. */
  readonly now: () => Date;
  readonly log: Log;
  /** Default {@link REFUSAL_WINDOW_MS}. */
  readonly windowMs?: number;
}

export class RefusalFolder {
  private readonly folds = new Map<number, Fold>();
  private readonly windowMs: number;

  constructor(private readonly o: RefusalFolderOptions) {
    this.windowMs = o.windowMs ?? REFUSAL_WINDOW_MS;
  }

  /** Users with refusals counted and not yet written. */
  get pending(): number {
    let n = 0;
    for (const f of this.folds.values()) if (f.count > 0) n += 1;
    return n;
  }

  /**
   * Audits a refusal of `telegramId`: written now when it is the first of a window, else counted.
   * Throws only when the first one cannot be written (it is then counted, written with the fold).
   */
  async refused(telegramId: number, payload: RefusalPayload): Promise<void> {
    const now = this.o.now();
    let fold = this.folds.get(telegramId);
    // The next refusal after the minute ends that window (written first) and opens a new one; no await in between.
    let ended: Promise<void> = Promise.resolve();
    if (fold && now.getTime() - fold.startedAt >= this.windowMs) {
      ended = this.write(telegramId, this.detach(telegramId, fold));
      fold = undefined;
    }
    if (fold) {
      this.count(fold, payload, now);
      return;
    }
    const opened: Fold = { startedAt: now.getTime(), count: 0, since: null, until: null, last: null, reasons: new Map(), timer: null };
    this.folds.set(telegramId, opened);
    // Real time: a frozen or far workflow clock still ends the window; unref'd, it never holds the process.
    opened.timer = setTimeout(() => void this.close(telegramId, opened), this.windowMs);
    opened.timer.unref?.();
    try {
      await this.o.store.appendAudit('press.refused', payload);
    } catch (err) {
      this.count(opened, payload, now);
      throw err;
    } finally {
      await ended;
    }
  }

  /** Writes every counted fold now and ends every window (a clean stop). */
  async flush(): Promise<void> {
    await Promise.all([...this.folds].map(([id, fold]) => this.close(id, fold)));
  }

  private count(fold: Fold, payload: RefusalPayload, now: Date): void {
    fold.count += 1;
    fold.since ??= now;
    fold.until = now;
    fold.last = payload;
    const key = fold.reasons.has(payload.reason) || fold.reasons.size < MAX_REASONS ? payload.reason : 'other reasons';
    fold.reasons.set(key, (fold.reasons.get(key) ?? 0) + 1);
  }

  /** Ends `fold`'s window (once) and writes what it counted. */
  private async close(telegramId: number, fold: Fold): Promise<void> {
    if (this.folds.get(telegramId) !== fold) return;
    await this.write(telegramId, this.detach(telegramId, fold));
  }

  private detach(telegramId: number, fold: Fold): Fold {
    this.folds.delete(telegramId);
    if (fold.timer) clearTimeout(fold.timer);
    return fold;
  }

  /** One entry for what `fold` counted. Never throws: a failed write is logged with the count, never dropped silently. */
  private async write(telegramId: number, fold: Fold): Promise<void> {
    if (fold.count === 0 || !fold.last) return;
    const entry = {
      ...fold.last,
      count: fold.count,
      since: fold.since!.toISOString(),
      until: fold.until!.toISOString(),
      reasons: Object.fromEntries(fold.reasons),
    };
    try {
      await this.o.store.appendAudit('press.refused', entry);
    } catch (err) {
      this.o.log.error({ telegramId, count: fold.count, since: entry.since, until: entry.until, err: (err as Error).message }, 'folded refused presses not audit-logged');
    }
  }
}

const folders = new WeakMap<object, RefusalFolder>();

/** Folds the refusals of presses handled by `workflow` into `folder` (the bot does this for its workflow). */
export function foldRefusals(workflow: object, folder: RefusalFolder): void {
  folders.set(workflow, folder);
}

/** The folder installed on `workflow`, if any. */
export function refusalFolderOf(workflow: object): RefusalFolder | undefined {
  return folders.get(workflow);
}

/** Audits one refused press: through the workflow's folder when one is installed, else written at once. */
export async function auditRefusal(workflow: { readonly store: Pick<Store, 'appendAudit'> }, telegramId: number, payload: RefusalPayload): Promise<void> {
  const folder = folders.get(workflow);
  if (folder) await folder.refused(telegramId, payload);
  else await workflow.store.appendAudit('press.refused', payload);
}
