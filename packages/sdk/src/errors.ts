/**
 * Meridian's error model, after viem's `BaseError`: every failure the SDK raises is a
 * {@link MeridianError} subclass with a literal `name`, a one-line `shortMessage` that says
 * what went wrong, optional `details` and a `hint` that says what to do, and the original
 * `cause`. Messages never contain key material or record plaintext.
 *
 * @module
 */

/** Construction parameters shared by every {@link MeridianError}. */
export interface MeridianErrorParameters {
  /** Extra facts about the failure (ids, sizes, addresses); never secrets or plaintext. */
  details?: string | undefined;
  /** What the user can do about it, in one sentence. */
  hint?: string | undefined;
  /** The underlying error, kept for `walk()` and debugging. */
  cause?: unknown;
}

/**
 * Base class of every error the Meridian SDK and CLI throw.
 *
 * `message` is `shortMessage`, then `Details:` and `What to do:` lines when given.
 *
 * @example
 * ```ts
 * try { await getRecord(...) } catch (e) {
 *   if (e instanceof MeridianError) console.error(e.shortMessage, e.hint);
 * }
 * ```
 */
export class MeridianError extends Error {
  override name = "MeridianError";
  /** One line: what went wrong. */
  readonly shortMessage: string;
  /** Extra facts (ids, sizes); may be undefined. */
  readonly details: string | undefined;
  /** What to do about it; may be undefined. */
  readonly hint: string | undefined;

  constructor(shortMessage: string, parameters: MeridianErrorParameters = {}) {
    const lines = [shortMessage];
    if (parameters.details) lines.push(`Details: ${parameters.details}`);
    if (parameters.hint) lines.push(`What to do: ${parameters.hint}`);
    super(lines.join("\n"), parameters.cause === undefined ? undefined : { cause: parameters.cause });
    this.shortMessage = shortMessage;
    this.details = parameters.details;
    this.hint = parameters.hint;
  }

  /**
   * Walks the `cause` chain and returns the deepest error, or the first one for which
   * `predicate` returns true (`null` when none matches).
   */
  walk(predicate?: (error: unknown) => boolean): unknown {
    return walkCauses(this, predicate);
  }
}

/** {@link MeridianError.walk} from any error, following `cause` at most 32 levels deep (a cycle ends). */
function walkCauses(error: unknown, predicate?: (error: unknown) => boolean): unknown {
  let current = error;
  for (let depth = 0; depth < 32; depth++) {
    if (predicate?.(current)) return current;
    const next = current instanceof Error ? current.cause : undefined;
    if (next === undefined) return predicate ? null : current;
    current = next;
  }
  return predicate ? null : current;
}
