// What a build record holds beyond its row: dependencies with their versions, buildpacks, process types, the
// commit and the image, and the error of a failed build; shown behind a disclosure per build.
type Build = {
  id: string;
  sourceCommit?: string;
  buildpacks?: string[];
  dependencies?: Record<string, string>;
  processTypes?: Record<string, string>;
  image?: string;
  error?: string;
};

export function BuildDetails({ b }: { b: Build }) {
  const deps = Object.entries(b.dependencies ?? {}).sort(([x], [y]) => x.localeCompare(y));
  const types = Object.entries(b.processTypes ?? {});
  return (
    <details>
      <summary>
        {deps.length} dependencies<span className="visually-hidden"> of build {b.id}</span>
      </summary>
      <dl className="facts" data-testid={`build-details-${b.id}`}>
        {deps.length ? (
          <>
            <dt>Dependencies</dt>
            <dd>
              <ul>
                {deps.map(([name, version]) => (
                  <li key={name}>
                    <code>{name}</code> {version}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
        {b.buildpacks?.length ? (
          <>
            <dt>Buildpacks</dt>
            <dd>{b.buildpacks.join(', ')}</dd>
          </>
        ) : null}
        {types.length ? (
          <>
            <dt>Process types</dt>
            <dd>
              {types.map(([t, cmd]) => (
                <div key={t}>
                  <code>
                    {t}: {cmd}
                  </code>
                </div>
              ))}
            </dd>
          </>
        ) : null}
        {b.sourceCommit ? (
          <>
            <dt>Commit</dt>
            <dd>
              <code>{b.sourceCommit.slice(0, 12)}</code>
            </dd>
          </>
        ) : null}
        {b.error ? (
          <>
            <dt>Error</dt>
            <dd>{b.error}</dd>
          </>
        ) : null}
      </dl>
    </details>
  );
}
