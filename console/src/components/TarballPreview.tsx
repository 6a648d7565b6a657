// Reads a chosen tarball in the browser before it is sent: its Procfile's process types, its app.json and whether
// a Dockerfile decides the build. Bounded against hostile archives (at most PREVIEW_BYTES decompressed are read;
// the tar reader limits entries and sizes), and a file that is not a tar archive says so instead of hanging.
import { isGzip, parseProcfile, tarScanner } from '../lib/tar';

export const PREVIEW_BYTES = 64 * 1024 * 1024;
const WANTED = new Set(['Procfile', 'app.json', 'Dockerfile']);

export interface Preview {
  gzip: boolean;
  files: Map<string, string>;
  /** Wanted files too big to show, with their size. */
  tooBig: Map<string, number>;
  entries: number;
  /** Why the whole archive was not read (too big for the preview), if it was not. */
  partial?: string;
}

export async function previewTarball(file: Blob): Promise<Preview> {
  const gzip = isGzip(new Uint8Array(await file.slice(0, 2).arrayBuffer()));
  const bytes = gzip ? file.stream().pipeThrough(new DecompressionStream('gzip')) : file.stream();
  const reader = bytes.getReader();
  const scan = tarScanner((n) => WANTED.has(n));
  let read = 0;
  let partial: string | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      read += value.length;
      scan.push(value);
      if (scan.state().ended) break;
      if (read > PREVIEW_BYTES) {
        partial = `only the first ${PREVIEW_BYTES / 1048576} MiB were read for this preview`;
        break;
      }
    }
  } catch (err) {
    // A big but well-formed archive (node_modules inside) is only previewed in part; it may still be deployed.
    if (err instanceof Error && /more than \d+ entries/.test(err.message)) partial = err.message;
    else if (err instanceof Error && /tar|KiB/.test(err.message)) throw err;
    else throw new Error(gzip ? 'this file is not a readable gzip archive' : 'this file could not be read', { cause: err });
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  if (scan.state().entries === 0) throw new Error('this file is not a tar archive (no entries found): make one with tar czf app.tgz -C DIR .');
  return { gzip, files: scan.files, tooBig: scan.tooBig, entries: scan.state().entries, partial };
}

export function PreviewView({ preview }: { preview: Preview }) {
  const procfile = preview.files.get('Procfile');
  // An app.json or Procfile over the preview's limit is named below rather than shown.
  const appJson = preview.files.get('app.json');
  const types = procfile ? parseProcfile(procfile) : [];
  let pretty = appJson;
  if (appJson) {
    try {
      pretty = JSON.stringify(JSON.parse(appJson), null, 2);
    } catch {
      pretty = `${appJson.slice(0, 2000)}\n(app.json is not valid JSON: the build will refuse it)`;
    }
  }
  return (
    <div className="preview" data-testid="tarball-preview">
      <p>
        {preview.entries} entries{preview.gzip ? ' (gzip)' : ''}.{' '}
        {preview.files.has('Dockerfile')
          ? 'It has a Dockerfile at its top: the platform builds it with that Dockerfile.'
          : preview.partial
            ? 'No Dockerfile at its top in the part read.'
            : 'No Dockerfile at its top: buildpacks detect the language and build it.'}
        {preview.partial ? ` (${preview.partial}.)` : ''}
      </p>
      <h3>Procfile</h3>
      {types.length ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Process type</th>
              <th scope="col">Command</th>
            </tr>
          </thead>
          <tbody>
            {types.map((t) => (
              <tr key={t.type}>
                <td>{t.type}</td>
                <td>
                  <code>{t.command}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No Procfile at the top: the web process comes from the language's default (e.g. npm start) or the Dockerfile's CMD.</p>
      )}
      <h3>app.json</h3>
      {preview.tooBig.size ? (
        <p className="hint">Too big to preview: {[...preview.tooBig].map(([name, bytes]) => `${name} (${Math.round(bytes / 1024)} KiB)`).join(', ')}.</p>
      ) : null}
      {pretty ? (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling box must be reachable by keyboard to scroll it (axe scrollable-region-focusable)
        <pre tabIndex={0} data-testid="app-json">
          {pretty}
        </pre>
      ) : (
        <p className="muted">No app.json: no release-phase scripts, health checks or cron jobs declared.</p>
      )}
    </div>
  );
}
