"use client";

import { useMemo } from "react";
import { isWindowBundle, readWindowBundle } from "@meridian/monitoring/browser";
import { EcgStrip } from "./monitoring/ecg-strip.tsx";
import { RecordView } from "./fhir/index.ts";

/**
 * Parses a decrypted record as JSON and renders it as text; non-JSON bytes are described, never
 * shown as markup. A remote-monitoring ECG window also gets its waveform with the beat classes.
 */
export function FhirRecord({ plaintext }: { plaintext: Uint8Array }) {
  const parsed = useMemo(() => {
    try {
      const json = JSON.parse(new TextDecoder().decode(plaintext)) as unknown;
      let ecg;
      try {
        ecg = isWindowBundle(json) ? readWindowBundle(json) : undefined;
      } catch {
        ecg = undefined; // malformed waveform: the generic view still shows what the record holds
      }
      return { json, ecg };
    } catch {
      return { json: undefined, ecg: undefined };
    }
  }, [plaintext]);
  if (parsed.json === undefined) return <p>This record is not FHIR JSON ({plaintext.length} bytes).</p>;
  return (
    <>
      {parsed.ecg ? <EcgStrip view={parsed.ecg} /> : null}
      <RecordView record={parsed.json} />
    </>
  );
}
