// The browser terminal of `yb run`: xterm.js attached to the run WebSocket (docs/architecture.md §8). Imported only
// through a dynamic import when the terminal tab opens, so xterm.js is its own chunk and not in the first load.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal as XTerm } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef } from 'react';
import { type RunEvent, runSocketUrl, serverMessage } from '../lib/run-protocol';

/**
 * xterm.js writes its layout and colours into `<style>` elements, which the console's Content-Security-Policy
 * (style-src 'self', no 'unsafe-inline') does not apply. Mirrored into constructed style sheets, which the policy
 * allows, they take effect; the page's policy stays strict.
 */
function mirrorStyles(root: HTMLElement): () => void {
  const sheets = new Map<HTMLStyleElement, { sheet: CSSStyleSheet; text: string }>();
  const sync = () => {
    for (const el of root.querySelectorAll('style')) {
      const text = el.textContent ?? '';
      let s = sheets.get(el);
      if (!s) {
        s = { sheet: new CSSStyleSheet(), text: '' };
        sheets.set(el, s);
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, s.sheet];
      }
      if (s.text !== text) {
        s.sheet.replaceSync(text);
        s.text = text;
      }
    }
  };
  sync();
  const observer = new MutationObserver(sync);
  observer.observe(root, { childList: true, subtree: true, characterData: true });
  return () => {
    observer.disconnect();
    const gone = new Set([...sheets.values()].map((s) => s.sheet));
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => !gone.has(s));
  };
}

export interface TerminalProps {
  app: string;
  command: string;
  csrf: string;
  /** What happened: started, output ended with an exit code, refused with the API's sentence, or the socket closed. */
  onEvent: (e: RunEvent) => void;
}

export default function Terminal({ app, command, csrf, onEvent }: TerminalProps) {
  const box = useRef<HTMLDivElement>(null);
  const report = useRef(onEvent);
  report.current = onEvent;

  // biome-ignore lint/correctness/useExhaustiveDependencies: one terminal and one socket per run (the parent keys it)
  useEffect(() => {
    const el = box.current!;
    // Dark in both schemes, like the console's other terminal output (styles.css --term-bg / --term-fg).
    const term = new XTerm({ cursorBlink: true, fontSize: 14, scrollback: 5000, theme: { background: '#0d1117', foreground: '#e6edf3', cursor: '#e6edf3' } });
    // No keyboard trap (WCAG 2.1.2): the terminal keeps Tab for the shell, but Esc then Tab moves focus on as usual.
    let escaped = false;
    term.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown') return true;
      if (e.key === 'Tab' && escaped) return false;
      escaped = e.key === 'Escape';
      return true;
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    const unmirror = mirrorStyles(el);
    fit.fit();

    const ws = new WebSocket(runSocketUrl(location, app));
    ws.binaryType = 'arraybuffer';
    let started = false;
    let ended = false;
    const encoder = new TextEncoder();
    ws.onopen = () => ws.send(JSON.stringify({ type: 'start', csrf, command, cols: term.cols, rows: term.rows }));
    ws.onmessage = (m: MessageEvent<ArrayBuffer | string>) => {
      if (typeof m.data !== 'string') return term.write(new Uint8Array(m.data));
      const e = serverMessage(m.data);
      if (!e) return;
      if (e.kind === 'started') {
        started = true;
        term.focus();
      }
      if (e.kind === 'exit' || e.kind === 'error') ended = true;
      report.current(e);
    };
    ws.onclose = (c) => {
      if (!ended) report.current({ kind: 'closed', code: c.code, opened: started });
    };
    const input = term.onData((d) => started && ws.readyState === ws.OPEN && ws.send(encoder.encode(d)));
    const resized = term.onResize(({ cols, rows }) => started && ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: 'resize', cols, rows })));
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(el);
    return () => {
      observer.disconnect();
      input.dispose();
      resized.dispose();
      ended = true;
      ws.close(); // the server removes the one-off when its socket closes
      term.dispose();
      unmirror();
    };
  }, []);

  return <div ref={box} className="xterm-box" data-testid="terminal" />;
}
