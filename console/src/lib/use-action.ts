// A change made through the API from a page: what is being done (shown as progress), the API's error if it failed,
// and the reload of what the page shows once it succeeded. One change at a time per page.
import { useState } from 'react';

export function useAction(afterSuccess: () => void): {
  busy: string;
  error: unknown;
  /** Runs `f` labelled `label`; resolves to whether it succeeded. */
  act: (label: string, f: () => Promise<unknown>) => Promise<boolean>;
} {
  const [busy, setBusy] = useState('');
  const [error, setError] = useState<unknown>();
  const act = async (label: string, f: () => Promise<unknown>) => {
    setBusy(label);
    setError(undefined);
    try {
      await f();
      afterSuccess();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy('');
    }
  };
  return { busy, error, act };
}
