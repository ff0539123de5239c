import type { CliWritable } from '../io';

/**
 * A one-line progress bar on stderr, redrawn in place. Only drawn when stderr is a terminal, so
 * scripts, CI logs and `--json` consumers never see control characters; the command's own result line
 * says the final count either way.
 */

/** What one redraw shows. */
interface ProgressState {
  readonly label: string;
  readonly done: number;
  /** Expected total; `undefined` or 0 when unknown (only the count is shown). */
  readonly total?: number;
  /** Extra words after the count, e.g. `2 failed`. */
  readonly detail?: string;
}

/** Width of the bar itself, characters. */
const BAR_WIDTH = 24;

/** The text of one progress line, e.g. `redrive [██████░░░░]  60% 6/10`. Pure. */
export const renderProgress = (state: ProgressState, width: number = BAR_WIDTH): string => {
  const detail = state.detail === undefined || state.detail === '' ? '' : ` · ${state.detail}`;
  const total = state.total ?? 0;
  if (total <= 0) return `${state.label} ${state.done}${detail}`;
  const ratio = Math.min(1, Math.max(0, state.done / total));
  const filled = Math.round(ratio * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const pct = `${Math.floor(ratio * 100)}%`.padStart(4);
  return `${state.label} [${bar}] ${pct} ${state.done}/${total}${detail}`;
};

/** A progress bar bound to a stream. */
interface Progress {
  update(state: Omit<ProgressState, 'label'>): void;
  /** Clear the line (the caller prints the result). */
  done(): void;
}

const MIN_REDRAW_MS = 80;

/** A progress bar on `stream` when it is a terminal and `enabled`; otherwise a no-op. */
export const createProgress = (stream: CliWritable, label: string, enabled = true): Progress => {
  if (!enabled || stream.isTTY !== true) return { update: () => {}, done: () => {} };
  let lastDraw = 0;
  let drawn = false;
  return {
    update(state) {
      const now = Date.now();
      const complete = state.total !== undefined && state.total > 0 && state.done >= state.total;
      if (!complete && now - lastDraw < MIN_REDRAW_MS) return;
      lastDraw = now;
      drawn = true;
      stream.write(`\r\x1b[2K${renderProgress({ label, ...state })}`);
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
};
