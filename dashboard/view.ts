import type { WidgetData } from './data/assemble';
import type { StatusView } from './data/status';

/**
 * What the dashboard server sends the page: the layout once (`/api/layout`), the data at every refresh
 * (`/api/data`). Type-only, shared by the server and the page bundle.
 */

/** An alarm named by the alarm widget. */
export interface AlarmView {
  readonly arn: string;
  readonly name: string;
  readonly description: string;
}

/** One widget of the dashboard body, as placed on the 24-column grid. */
export interface WidgetView {
  readonly index: number;
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly title?: string;
  /** `timeSeries` or `singleValue` for metric widgets. */
  readonly view?: string;
  readonly markdown?: string;
  readonly alarms?: readonly AlarmView[];
  readonly yAxis?: { readonly min?: number; readonly max?: number };
  /** Horizontal annotations (alarm thresholds and fixed lines). */
  readonly annotations?: readonly { readonly label: string; readonly value: number }[];
}

/** The layout of the page. */
export interface LayoutView {
  readonly title: string;
  readonly stackName: string;
  readonly region: string;
  /** The body's default range, e.g. `-PT3H`. */
  readonly defaultRange: string;
  readonly refreshSeconds: number;
  readonly widgets: readonly WidgetView[];
}

/** The data of one refresh. */
export interface RefreshView {
  readonly generatedAtMs: number;
  /** The range the time-series widgets draw. */
  readonly fromMs: number;
  readonly toMs: number;
  /** Data of each metric widget by its index. */
  readonly widgets: Readonly<Record<number, WidgetData>>;
  readonly status: StatusView;
  /** EMF data points sent to the emulator's CloudWatch since start. */
  readonly pointsReceived: number;
}
