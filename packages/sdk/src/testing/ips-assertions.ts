/**
 * Assertions over International Patient Summary documents, shared by the IPS tests: the shape
 * every IPS document has (Composition, required sections, narratives), that it is
 * self-contained, and that it is valid FHIR R4. The caller must have loaded the FHIR
 * definitions (import `fhir/definitions-node.ts`). Node only.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Bundle, Composition, CompositionSection } from "@medplum/fhirtypes";
import { isInternationalPatientSummary } from "../fhir/ips.ts";
import { fhirValidationIssues } from "../fhir/validate.ts";

const LOINC = "http://loinc.org";

/** The Composition of an IPS document (its first entry). */
export const compositionOf = (ips: Bundle): Composition => ips.entry?.[0]?.resource as Composition;
/** The section of an IPS document with LOINC `code`. */
export const sectionOf = (ips: Bundle, code: string): CompositionSection | undefined =>
  compositionOf(ips).section?.find((s) => s.code?.coding?.some((c) => c.system === LOINC && c.code === code));

/** Every literal reference in the document is contained (`#`) or an entry's fullUrl. */
export function assertSelfContained(ips: Bundle, label = ""): void {
  const urls = new Set((ips.entry ?? []).map((e) => e.fullUrl));
  assert.equal(urls.size, ips.entry?.length, `${label} fullUrls are unique`);
  for (const u of urls)
    assert.match(u ?? "", /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, label);
  JSON.stringify(ips, (key, value: unknown) => {
    if (key === "reference" && typeof value === "string")
      assert.ok(value.startsWith("#") || urls.has(value), `${label} unresolved reference ${value}`);
    return value;
  });
}

/** The common shape of every IPS document. */
export function assertIpsShape(ips: Bundle, label = ""): void {
  assert.equal(ips.type, "document");
  assert.ok(ips.identifier?.system && ips.identifier.value && ips.timestamp, label);
  const composition = compositionOf(ips);
  assert.equal(composition.resourceType, "Composition");
  assert.equal(composition.status, "final");
  assert.deepEqual(composition.type.coding?.[0], {
    system: LOINC,
    code: "60591-5",
    display: "Patient summary Document",
  });
  assert.equal(composition.title, "International Patient Summary");
  assert.equal(ips.entry?.[1]?.resource?.resourceType, "Patient");
  assert.equal(composition.subject?.reference, ips.entry?.[1]?.fullUrl);
  for (const code of ["48765-2", "10160-0", "11450-4"]) {
    const section = sectionOf(ips, code);
    assert.ok(section, `${label} section ${code}`);
    assert.equal(section.text?.status, "generated");
    assert.match(section.text?.div ?? "", /^<div xmlns="http:\/\/www\.w3\.org\/1999\/xhtml">.+<\/div>$/s);
    assert.ok(
      (section.entry?.length ?? 0) > 0 !== (section.emptyReason !== undefined),
      `${label} ${code}: entries xor emptyReason`,
    );
  }
  assert.ok(isInternationalPatientSummary(ips));
  assertSelfContained(ips, label);
  assert.deepEqual(fhirValidationIssues(ips), [], label);
}
