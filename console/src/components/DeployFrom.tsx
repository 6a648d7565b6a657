// The two ways besides git to give a new app its code, through the public API: upload a tarball (source, or one
// with a Dockerfile) to POST /apps/{app}/builds with its output streaming here, previewed first; or release an
// image the team already imported (POST /apps/{app}/image-deploys).
import { type FormEvent, useRef, useState } from 'react';
import { call, upload } from '../api/client';
import type { Release } from '../api/types';
import { lineSplitter } from '../lib/text';
import { appPath } from '../lib/route';
import { ErrorNote, Link, Progress, StateBadge } from './common';
import './console-app.css';
import { type Preview, PreviewView, previewTarball } from './TarballPreview';

export function UploadDeploy({ app }: { app: string }) {
  const [file, setFile] = useState<File>();
  const [preview, setPreview] = useState<Preview>();
  const [reading, setReading] = useState(false);
  const [error, setError] = useState<unknown>();
  const [lines, setLines] = useState<string[]>([]);
  const [state, setState] = useState<'idle' | 'building' | 'succeeded' | 'failed'>('idle');
  const box = useRef<HTMLPreElement>(null);

  const choose = async (f: File | undefined) => {
    setFile(f);
    setPreview(undefined);
    setError(undefined);
    setState('idle');
    setLines([]);
    if (!f) return;
    setReading(true);
    try {
      setPreview(await previewTarball(f));
    } catch (err) {
      setError(err);
    } finally {
      setReading(false);
    }
  };

  const deploy = async (e: FormEvent) => {
    e.preventDefault();
    if (!file || !preview) return;
    setError(undefined);
    setLines([]);
    setState('building');
    const split = lineSplitter();
    let end: 'succeeded' | 'failed' | undefined;
    try {
      await upload('/apps/{app}/builds', { params: { app } }, file, preview.gzip ? 'application/gzip' : 'application/x-tar', (chunk) => {
        const got = split.push(chunk);
        const shown = got.filter((l) => {
          if (l === '\u0000ok' || l === '\u0000fail') end = l === '\u0000ok' ? 'succeeded' : 'failed';
          return !l.startsWith('\u0000');
        });
        if (shown.length) setLines((old) => [...old, ...shown].slice(-2000));
        if (box.current) box.current.scrollTop = box.current.scrollHeight;
      });
      setState(end ?? 'failed');
    } catch (err) {
      setError(err);
      setState('failed');
    }
  };

  return (
    <form onSubmit={deploy} className="card deploy-from">
      <h2>Upload a tarball</h2>
      <p>
        A <code>.tar</code> or <code>.tar.gz</code> of the app's directory (<code>tar czf app.tgz -C DIR .</code>). With a <code>Dockerfile</code> at its top it
        is built from that Dockerfile; otherwise buildpacks detect the language.
      </p>
      <label>
        Tarball
        <input type="file" name="tarball" accept=".tar,.tgz,.tar.gz,application/gzip,application/x-tar" onChange={(e) => void choose(e.target.files?.[0])} />
      </label>
      {reading ? <Progress label={`Reading ${file?.name ?? 'the file'} for a preview…`} /> : null}
      <ErrorNote error={error} />
      {preview ? <PreviewView preview={preview} /> : null}
      <button type="submit" className="primary" disabled={!preview || state === 'building'}>
        {state === 'building' ? 'Building…' : 'Deploy this tarball'}
      </button>
      {state !== 'idle' ? (
        <>
          <h3>
            Build output <StateBadge state={state} />
          </h3>
          {state === 'building' && lines.length === 0 ? <Progress label="Uploading and starting the build…" /> : null}
          {state === 'succeeded' ? (
            <p>
              Deployed: its processes, releases and logs are on the <Link to={appPath(app)}>app page</Link>.
            </p>
          ) : null}
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling output box must be reachable by keyboard (axe scrollable-region-focusable) */}
          <pre className="terminal" ref={box} role="log" aria-label="build output" tabIndex={0} data-testid="upload-output">
            {lines.join('\n')}
          </pre>
        </>
      ) : null}
    </form>
  );
}

export function ImageDeploy({ app }: { app: string }) {
  const [image, setImage] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [release, setRelease] = useState<Release>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setRelease(await call<Release>('/apps/{app}/image-deploys', { method: 'POST', params: { app }, body: { image } }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} className="card deploy-from">
      <h2>Deploy an image already imported</h2>
      <p>
        An image your team imported (<code>yb images:import app.tar --team TEAM</code>) or built; give its name and tag or its id.
      </p>
      <label>
        Image
        <input name="image" required maxLength={255} placeholder="myimage:1.0" value={image} onChange={(e) => setImage(e.target.value.trim())} />
      </label>
      {busy ? <Progress label={`Releasing ${image}: starting its processes and waiting for their health checks…`} /> : null}
      <ErrorNote error={error} />
      {release ? (
        <p role="status">
          v{release.version} of {app} is live from {image}: see it on the <Link to={appPath(app)}>app page</Link>.
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={busy}>
        Deploy image
      </button>
    </form>
  );
}
