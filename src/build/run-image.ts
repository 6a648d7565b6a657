// The run image recipe for buildpack builds (stack + language runtime layer + app slug) and the web port of
// Dockerfile images. Pure.

export function renderRunDockerfile(stackImage: string): string {
  return [
    `FROM ${stackImage}`,
    'COPY --chown=1000:1000 runtime /app/.heroku',
    'COPY --chown=1000:1000 src /app',
    'USER 1000:1000',
    'WORKDIR /app',
    'ENV HOME=/app',
    '',
  ].join('\n');
}

/** The first exposed TCP port of an image (`EXPOSE`), or undefined. */
export function exposedPort(exposed: Record<string, unknown> | undefined): number | undefined {
  const ports = Object.keys(exposed ?? {})
    .map((p) => /^(\d+)\/tcp$/.exec(p))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  return ports[0];
}
