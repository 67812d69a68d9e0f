/**
 * Pictures of a soak (bench/soak.ts): an SVG line chart with one series on each y axis (a file
 * to open in a browser), and a sparkline for the terminal.
 */
export interface Series {
  name: string;
  unit: string;
  color: string;
  /** [x, y] */
  points: [number, number][];
  /** drawn as a dashed line: the target the series must stay under */
  limit?: number;
}

const WIDTH = 880;
const HEIGHT = 420;
const MARGIN = { left: 70, right: 70, top: 50, bottom: 50 };
const TICKS = 5;
const BARS = '▁▂▃▄▅▆▇█';

/** The smallest 1, 2 or 5 × 10ⁿ at or above `value`. */
function roundUp(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((top) => top >= value)!;
}

/** An axis from 0 that reaches `value`: a round step, at most TICKS of them. */
function axis(value: number): { top: number; ticks: number[] } {
  const step = roundUp(value / TICKS);
  const count = Math.max(1, Math.ceil(value / step));
  return { top: step * count, ticks: Array.from({ length: count + 1 }, (_, i) => i * step) };
}

const format = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escape(content)}</text>`;
}

/** One series' axis (left or right), its line and its limit. */
function seriesLayer(series: Series, side: 'left' | 'right', x: (value: number) => number) {
  const values = series.points.map(([, value]) => value);
  const { top, ticks } = axis(Math.max(...values, series.limit ?? 0) * 1.1);
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const y = (value: number) => HEIGHT - MARGIN.bottom - (value / top) * plotHeight;
  const axisX = side === 'left' ? MARGIN.left : WIDTH - MARGIN.right;
  const anchor = side === 'left' ? 'end' : 'start';
  const labelX = side === 'left' ? axisX - 8 : axisX + 8;
  const parts = [
    `<line x1="${axisX}" y1="${MARGIN.top}" x2="${axisX}" y2="${y(0)}" stroke="#999"/>`,
  ];
  const title = `${series.name} (${series.unit})`;
  for (const value of ticks)
    parts.push(
      text(labelX, y(value) + 4, format(value), `text-anchor="${anchor}" fill="${series.color}"`),
    );
  parts.push(
    // above the axis, toward the inside: a long title stays within the picture
    side === 'left'
      ? text(8, MARGIN.top - 16, title, `fill="${series.color}"`)
      : text(WIDTH - 8, MARGIN.top - 16, title, `text-anchor="end" fill="${series.color}"`),
  );
  if (series.limit !== undefined) {
    const at = y(series.limit).toFixed(1);
    parts.push(
      `<line x1="${MARGIN.left}" y1="${at}" x2="${WIDTH - MARGIN.right}" y2="${at}" stroke="${series.color}" stroke-dasharray="6 4" opacity="0.6"/>`,
      text(
        MARGIN.left + 6,
        Number(at) - 6,
        `target ≤ ${format(series.limit)} ${series.unit}`,
        `fill="${series.color}"`,
      ),
    );
  }
  const points = series.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`);
  parts.push(
    `<polyline points="${points.join(' ')}" fill="none" stroke="${series.color}" stroke-width="2"/>`,
  );
  return parts;
}

/** An SVG line chart: `left` on the left axis, `right` (optional) on the right one, a shared x axis from 0. */
export function lineChart(title: string, xLabel: string, left: Series, right?: Series): string {
  const all = [...left.points, ...(right?.points ?? [])].map(([px]) => px);
  const { top: xTop, ticks } = axis(Math.max(...all, 1));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const x = (value: number) => MARGIN.left + (value / xTop) * plotWidth;
  const baseline = HEIGHT - MARGIN.bottom;
  const parts = [
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    text(WIDTH / 2, 22, title, 'text-anchor="middle" font-weight="bold"'),
    `<line x1="${MARGIN.left}" y1="${baseline}" x2="${WIDTH - MARGIN.right}" y2="${baseline}" stroke="#999"/>`,
    text(WIDTH / 2, HEIGHT - 12, xLabel, 'text-anchor="middle"'),
  ];
  for (const value of ticks)
    parts.push(text(x(value), baseline + 18, format(value), 'text-anchor="middle"'));
  parts.push(...seriesLayer(left, 'left', x));
  if (right) parts.push(...seriesLayer(right, 'right', x));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    ...parts.map((part) => `  ${part}`),
    '</svg>',
    '',
  ].join('\n');
}

/** The values as one line of block characters, lowest to highest of their own range. */
export function sparkline(values: number[]): string {
  const low = Math.min(...values);
  const span = Math.max(...values) - low || 1;
  return values
    .map((value) => BARS[Math.round(((value - low) / span) * (BARS.length - 1))])
    .join('');
}
