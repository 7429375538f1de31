/**
 * Consent away from the provider's screen, guardians, and emergency ("break-glass") access:
 * the chain side of `IRecordRegistry`'s consent codes, guardians and emergency access, one
 * module per concern, re-exported here.
 *
 * - `consent-codes.ts`: a **consent code** is a grant the patient signs as EIP-712 typed data
 *   and hands to the provider as a QR code or text; the provider submits it and pays the gas. It
 *   works once, until its deadline.
 * - `guardians.ts`: a **guardian** acts for a patient at a level; its actions emit
 *   `GuardianActed` naming it.
 * - `emergency-access.ts`: **emergency access** opens a patient's emergency summary (an HL7 FHIR
 *   International Patient Summary) for a time box, with a reason code, on chain before any key is
 *   released.
 *
 * @module
 */
export * from "./consent-codes.ts";
export * from "./guardians.ts";
export * from "./emergency-access.ts";
