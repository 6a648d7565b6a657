// The streamed-output protocol of deploys over HTTP (git hook, source uploads): text lines, then one last line
// "\u0000ok" or "\u0000fail". Both ends use these helpers.

export const STATUS_OK = '\u0000ok';
export const STATUS_FAIL = '\u0000fail';

/** Relays each output line of a streamed deploy body to `write`; resolves to whether it ended with "ok". */
export async function relayStatusLines(body: AsyncIterable<Uint8Array>, write: (line: string) => void): Promise<boolean> {
  let ok = false;
  let pending = '';
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line === STATUS_OK) ok = true;
      else if (line !== STATUS_FAIL) write(line);
    }
  }
  return ok;
}
