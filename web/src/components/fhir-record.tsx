"use client";

import { useMemo } from "react";
import { RecordView } from "./fhir/index.ts";

/** Parses a decrypted record as JSON and renders it as text; non-JSON bytes are described, never shown as markup. */
export function FhirRecord({ plaintext }: { plaintext: Uint8Array }) {
  const parsed = useMemo(() => {
    try {
      return { json: JSON.parse(new TextDecoder().decode(plaintext)) as unknown };
    } catch {
      return { json: undefined };
    }
  }, [plaintext]);
  if (parsed.json === undefined) return <p>This record is not FHIR JSON ({plaintext.length} bytes).</p>;
  return <RecordView record={parsed.json} />;
}
