/**
 * Meridian SDK, the front door: the {@link MeridianClient} façade and the role actions it is
 * built from (`actions/`: records, sharing, consent codes, guardians, emergency access, key
 * epochs, registration, validation; each `doThing(client, parameters)`), the one module that
 * decides which key opens a record (`record-keys.ts`), the record categories, the patient
 * keyring (key regression KEKs per category and epoch), the registration key checks, import
 * checks, the consent-code ledger and the error base class. Browser-safe: nothing here touches the file system.
 *
 * Other entry points:
 * - `@meridian/sdk/chain`: contract actions, typed reads and writes, ABIs, contract errors.
 * - `@meridian/sdk/crypto`: key derivation, HPKE (RFC 9180) wrapping, record envelopes.
 * - `@meridian/sdk/storage` (Node.js) and `@meridian/sdk/storage/browser`: IPFS blob stores.
 * - `@meridian/sdk/fhir` (Node.js) and `@meridian/sdk/fhir/browser`: FHIR R4 parsing,
 *   validation, splitting, categorising and presentation.
 * - `@meridian/sdk/testing`: the test kit (embedded chain, deployment, role clients, fixtures).
 *
 * @module
 */

export * from "./errors.ts";
export * from "./categories.ts";
export * from "./account.ts";
export * from "./client.ts";
export * from "./actions/index.ts";
export * from "./record-keys.ts";
export * from "./share-keys.ts";
export * from "./keyring.ts";
export * from "./key-check.ts";
export * from "./import-check.ts";
export * from "./consent-code-ledger.ts";
