// A line chart in plain SVG (no chart library: the console's first load stays small). The same numbers as a table
// behind "Show the numbers", which is the chart's text alternative and what keyboard and screen-reader users read.
import { useId } from 'react';
import { chartPaths, type ChartSeries } from '../lib/chart';
import './console-app.css';

const W = 600;
const H = 160;

export function LineChart({
  title,
  times,
  series,
  format,
  testId,
}: {
  title: string;
  times: string[];
  series: ChartSeries[];
  format: (v: number) => string;
  testId?: string;
}) {
  const id = useId();
  const { paths, max } = chartPaths(series, W, H);
  const last = (s: ChartSeries) => [...s.values].reverse().find((v) => v !== null);
  const summary = series.map((s) => `${s.name} ${last(s) === undefined ? 'no data' : format(last(s)!)}`).join(', ');
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption id={`${id}-t`}>
        <strong>{title}</strong> <span className="muted">now: {summary || 'no data'}</span>
      </figcaption>
      <div className="scale">
        <span>{format(max)}</span>
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-t`} preserveAspectRatio="none">
        <title>{title}</title>
        <line x1="0" y1={H} x2={W} y2={H} className="axis" />
        {paths.map((d, i) => (
          <path key={series[i]!.name} d={d} className={`line c${i % 6}`} />
        ))}
      </svg>
      <div className="scale">
        <span>{times[0] ? times[0].slice(11, 16) : ''}</span>
        <span>{times.at(-1) ? `${times.at(-1)!.slice(11, 16)} UTC` : ''}</span>
      </div>
      <ul className="legend" aria-hidden="true">
        {series.map((s, i) => (
          <li key={s.name}>
            <span className={`swatch c${i % 6}`} /> {s.name}
          </li>
        ))}
      </ul>
      <details>
        <summary>Show the numbers of {title.toLowerCase()}</summary>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Until (UTC)</th>
                {series.map((s) => (
                  <th scope="col" key={s.name}>
                    {s.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {times.map((t, row) => (
                <tr key={t}>
                  <td>{t.slice(11, 19)}</td>
                  {series.map((s) => (
                    <td key={s.name}>{s.values[row] === null || s.values[row] === undefined ? '—' : format(s.values[row]!)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
