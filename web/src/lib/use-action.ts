"use client";

import { useCallback, useState } from "react";
import { describeError } from "./meridian.tsx";

/** Runs one user action at a time and keeps its pending state and plain-words error. */
export function useAction<A extends unknown[], R>(run: (...args: A) => Promise<R>) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<{ message: string; hint?: string } | undefined>(undefined);
  const [result, setResult] = useState<R | undefined>(undefined);
  const start = useCallback(
    async (...args: A): Promise<R | undefined> => {
      setPending(true);
      setError(undefined);
      try {
        const value = await run(...args);
        setResult(value);
        return value;
      } catch (e) {
        setError(describeError(e));
        return undefined;
      } finally {
        setPending(false);
      }
    },
    [run],
  );
  return { start, pending, error, result, reset: () => setError(undefined) };
}
