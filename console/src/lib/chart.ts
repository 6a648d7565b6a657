// The geometry of the console's line charts: SVG path data for each series on a shared scale. Pure: no DOM
// (unit-tested from the root). Gaps (null) break a line instead of drawing it down to zero.

export interface ChartSeries {
  name: string;
  values: Array<number | null>;
}

/** A "nice" upper bound for the y axis: 1, 2 or 5 times a power of ten, at least `v` (1 when there is nothing). */
export function niceMax(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Path data (`M x y L x y …`) per series over `width` × `height`, with the shared maximum used. */
export function chartPaths(series: ChartSeries[], width: number, height: number): { paths: string[]; max: number } {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const max = niceMax(Math.max(0, ...all));
  const n = Math.max(0, ...series.map((s) => s.values.length));
  const x = (i: number) => (n <= 1 ? width : (i / (n - 1)) * width);
  const y = (v: number) => height - (Math.min(v, max) / max) * height;
  const paths = series.map((s) => {
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)} `;
      pen = true;
    });
    return d.trim();
  });
  return { paths, max };
}
