// The size of a process type when scaling: free text in the API's format (memory[:cpus], e.g. 512M or 1G:0.5;
// the API checks it and answers its own sentence), with the usual sizes offered; empty keeps the current size.
export const COMMON_SIZES = ['256M', '512M', '512M:0.5', '1G', '1G:1', '2G:1', '4G:2'];

export function SizeField({ type, current }: { type: string; current?: string }) {
  const list = `sizes-${type}`;
  return (
    <>
      <label>
        Size of {type}
        <input
          name="size"
          list={list}
          placeholder={current ?? 'default'}
          maxLength={20}
          pattern="[0-9]+[KMGkmg](:[0-9]+(\.[0-9]+)?)?"
          aria-describedby={`${list}-hint`}
        />
      </label>
      <span id={`${list}-hint`} className="hint">
        memory[:cpus], e.g. 512M or 1G:0.5; empty keeps {current ?? 'the platform default'}
      </span>
      <datalist id={list}>
        {COMMON_SIZES.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
    </>
  );
}
