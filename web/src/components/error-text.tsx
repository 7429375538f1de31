/** A failed action, in plain words, announced to screen readers. */
export function ErrorText({ error }: { error: { message: string; hint?: string } | undefined }) {
  if (!error) return null;
  return (
    <div className="alert" role="alert">
      {error.message}
      {error.hint ? <div className="muted">{error.hint}</div> : null}
    </div>
  );
}
