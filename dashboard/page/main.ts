/// <reference lib="dom" />
import { marked } from 'marked';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import type { SeriesView, WidgetData } from '../data/assemble';
import type { StatusView } from '../data/status';
import type { LayoutView, RefreshView, WidgetView } from '../view';

/**
 * The local dashboard page: the synthesized dashboard body on CloudWatch's 24-column grid, graphs drawn
 * with uPlot, text widgets with marked. It reads the layout once and the data every `refreshSeconds`.
 * When a refresh is drawn it sets `data-refreshes` on <body> and `data-drawn`, `data-series` (series
 * with at least one point) and `data-points` on each widget, so a test can wait on what is drawn.
 */

const COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

const utc = (ms: number, seconds = false) => new Date(ms).toISOString().slice(11, seconds ? 19 : 16);
const formatNumber = (v: number) =>
  Math.abs(v) >= 1000 || Number.isInteger(v) ? Math.round(v).toLocaleString('en-US') : v.toFixed(2);

/** An axis value in at most four characters and a suffix: 950, 1.2k, 35k, 4.1M. */
const compact = (v: number) => {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(2)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(2)}k`;
  return String(+v.toPrecision(3));
};

/** A graph widget's uPlot and its data. */
interface Graph {
  plot?: uPlot;
  readonly box: HTMLElement;
  readonly widget: WidgetView;
}

const graphs = new Map<number, Graph>();
const widgetElements = new Map<number, HTMLElement>();
let refreshes = 0;

/** Horizontal lines (alarm thresholds, fixed annotations) drawn over a graph. */
const annotationsPlugin = (lines: readonly { label: string; value: number }[]): uPlot.Plugin => ({
  hooks: {
    draw: [
      (u) => {
        const { ctx } = u;
        ctx.save();
        ctx.strokeStyle = '#d62728';
        ctx.fillStyle = '#d62728';
        ctx.setLineDash([6, 4]);
        ctx.font = `${11 * devicePixelRatio}px sans-serif`;
        for (const line of lines) {
          const y = u.valToPos(line.value, 'y', true);
          ctx.beginPath();
          ctx.moveTo(u.bbox.left, y);
          ctx.lineTo(u.bbox.left + u.bbox.width, y);
          ctx.stroke();
          ctx.fillText(line.label, u.bbox.left + 4, y - 4);
        }
        ctx.restore();
      },
    ],
  },
});

const sizeOf = (box: HTMLElement) => ({
  width: Math.max(120, box.clientWidth),
  height: Math.max(60, box.clientHeight - 28),
});

const drawGraph = (graph: Graph, data: WidgetData) => {
  const xs = [...new Set(data.series.flatMap((s) => s.points.map(([t]) => t / 1000)))].sort((a, b) => a - b);
  const columns = data.series.map((s) => {
    const byT = new Map(s.points.map(([t, v]) => [t / 1000, v]));
    return xs.map((x) => byT.get(x) ?? null);
  });
  const { yAxis, annotations } = graph.widget;
  graph.plot?.destroy();
  graph.box.replaceChildren();
  graph.plot = new uPlot(
    {
      ...sizeOf(graph.box),
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: {
        x: { time: true, range: () => [data.fromMs / 1000, data.toMs / 1000] },
        y: {
          range: (_u, min, max) => [
            yAxis?.min ?? Math.min(0, min ?? 0),
            yAxis?.max ?? Math.max(max ?? 1, ...(annotations ?? []).map((a) => a.value), 1),
          ],
        },
      },
      series: [
        {},
        ...data.series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length]!,
          width: 1.5,
          spanGaps: false,
          points: { show: true, size: 4 },
        })),
      ],
      axes: [{}, { size: 48, values: (_u, splits) => splits.map(compact) }],
      legend: { show: true },
      plugins: annotations && annotations.length > 0 ? [annotationsPlugin(annotations)] : [],
    },
    [xs, ...columns] as uPlot.AlignedData,
    graph.box,
  );
};

const drawSingleValue = (box: HTMLElement, data: WidgetData) => {
  box.replaceChildren(
    ...data.series.map((s: SeriesView) => {
      const cell = el('div', { class: 'single' });
      const last = s.points.at(-1);
      cell.append(el('div', { class: 'value' }, last === undefined ? '–' : formatNumber(last[1])));
      cell.append(el('div', { class: 'label' }, s.label));
      return cell;
    }),
  );
};

/** A cell: its text, and a class when given as `[text, class]`. */
type Cell = string | readonly [string, string];

/** A titled panel with a table, or a note when there are no rows. */
const panel = (
  name: string,
  title: string,
  empty: string,
  head: readonly string[],
  rows: readonly Cell[][],
) => {
  const section = el('section', { class: 'panel', 'data-panel': name });
  section.append(el('h2', {}, title));
  if (rows.length === 0) {
    section.append(el('p', { class: 'muted' }, empty));
    return section;
  }
  const table = el('table');
  const header = el('tr');
  header.append(...head.map((h) => el('th', {}, h)));
  table.append(header);
  for (const cells of rows) {
    const row = el('tr');
    row.append(
      ...cells.map((c) => (typeof c === 'string' ? el('td', {}, c) : el('td', { class: c[1] }, c[0]))),
    );
    table.append(row);
  }
  section.append(table);
  return section;
};

const renderStatus = (status: StatusView, target: HTMLElement) => {
  const firing = status.alerts.filter((a) => a.status === 'ALARM').length;
  target.replaceChildren(
    panel(
      'failures',
      `Recent failures (${status.failures.length})`,
      'none in the drawn range',
      ['finished', 'task type', 'task', 'error'],
      status.failures.map((f) => [
        f.finishedAt === null ? '–' : utc(Date.parse(f.finishedAt), true),
        f.taskType,
        [f.taskId, 'mono'],
        [f.errorType, f.errorMessage].filter((x) => x !== null).join(': ') || '–',
      ]),
    ),
    panel(
      'alerts',
      `Alert states (${firing} firing of ${status.alerts.length})`,
      'the monitor has not evaluated any rule yet',
      ['state', 'rule', 'scope', 'since'],
      status.alerts.map((a) => [
        [a.status, a.status === 'ALARM' ? 'alarm' : 'ok'],
        a.rule,
        a.scope,
        utc(Date.parse(a.since), true),
      ]),
    ),
  );
};

const renderLayout = (layout: LayoutView, root: HTMLElement) => {
  const header = el('header');
  header.append(el('h1', {}, layout.title));
  const range = el('div', { id: 'range', class: 'muted' }, 'loading…');
  const refresh = el('div', { id: 'refresh', class: 'muted' });
  header.append(range, refresh);
  const status = el('div', { id: 'status', class: 'status' });
  const grid = el('main', { class: 'grid' });
  for (const w of layout.widgets) {
    const box = el('section', {
      class: `widget widget-${w.type}`,
      'data-index': String(w.index),
      'data-type': w.type,
      'data-title': w.title ?? '',
    });
    box.style.gridColumn = `${w.x + 1} / span ${w.width}`;
    box.style.gridRow = `${w.y + 1} / span ${w.height}`;
    if (w.title !== undefined) box.append(el('h3', {}, w.title));
    const body = el('div', { class: 'body' });
    box.append(body);
    if (w.type === 'text') {
      body.innerHTML = marked.parse(w.markdown ?? '', { async: false });
      box.dataset.drawn = 'true';
    } else if (w.type === 'alarm') {
      const list = el('ul', { class: 'alarms' });
      for (const a of w.alarms ?? []) {
        const item = el('li', { title: a.description });
        item.append(el('span', { class: 'badge' }, 'not evaluated locally'), el('span', {}, ` ${a.name}`));
        list.append(item);
      }
      body.append(list);
      box.dataset.drawn = 'true';
    } else if (w.type === 'metric' && w.view !== 'singleValue') {
      graphs.set(w.index, { box: body, widget: w });
    }
    widgetElements.set(w.index, box);
    grid.append(box);
  }
  root.replaceChildren(header, status, grid);
};

const draw = (layout: LayoutView, data: RefreshView) => {
  for (const w of layout.widgets) {
    const d = data.widgets[w.index];
    const box = widgetElements.get(w.index);
    if (d === undefined || box === undefined) continue;
    const body = box.querySelector<HTMLElement>('.body')!;
    const graph = graphs.get(w.index);
    if (graph !== undefined) drawGraph(graph, d);
    else drawSingleValue(body, d);
    box.querySelector('.notes')?.remove();
    if (d.notes.length > 0) box.append(el('div', { class: 'notes' }, d.notes.join(' · ')));
    box.dataset.series = String(d.series.filter((s) => s.points.length > 0).length);
    box.dataset.points = String(d.series.reduce((n, s) => n + s.points.length, 0));
    box.dataset.drawn = 'true';
  }
  renderStatus(data.status, document.getElementById('status')!);
  const minutes = Math.round((data.toMs - data.fromMs) / 60_000);
  document.getElementById('range')!.textContent =
    `${utc(data.fromMs)} – ${utc(data.toMs)} UTC (${minutes} min): the dashboard's range ${layout.defaultRange}, from when local mode started · ${data.pointsReceived.toLocaleString('en-US')} EMF data points received`;
  document.getElementById('refresh')!.textContent =
    `refreshed ${utc(data.generatedAtMs, true)} UTC · refreshes every ${layout.refreshSeconds} s · percentiles are computed locally (labelled)`;
  refreshes++;
  document.body.dataset.refreshes = String(refreshes);
  document.body.dataset.generatedAt = String(data.generatedAtMs);
  (window as unknown as { __taskpulseDashboard: unknown }).__taskpulseDashboard = { layout, data };
};

const main = async () => {
  const root = document.getElementById('app')!;
  const layout = (await (await fetch('/api/layout')).json()) as LayoutView;
  document.title = layout.title;
  renderLayout(layout, root);
  const every = Number(new URLSearchParams(location.search).get('refresh') ?? layout.refreshSeconds) * 1000;
  const tick = async () => {
    try {
      const res = await fetch('/api/data');
      if (!res.ok) throw new Error(((await res.json()) as { error?: string }).error ?? res.statusText);
      draw(layout, (await res.json()) as RefreshView);
      document.getElementById('error')?.remove();
    } catch (error) {
      document.getElementById('error')?.remove();
      root.prepend(
        el('div', { id: 'error', class: 'error' }, `could not refresh: ${(error as Error).message}`),
      );
    }
    setTimeout(() => void tick(), every);
  };
  window.addEventListener('resize', () => {
    for (const g of graphs.values()) g.plot?.setSize(sizeOf(g.box));
  });
  await tick();
};

void main();
