/**
 * The clinician's final diagnosis of a monitoring session: a FHIR R4 `DiagnosticReport`
 * (status `final`, LOINC 11524-6 "EKG study") with the clinician's conclusion and SNOMED CT
 * rhythm findings, referring to the ECG windows they reviewed by their message ids. It is
 * anchored as a Cardiac record of the patient and linked to the session on chain with
 * `MonitoringRegistry.signDiagnosis`, which closes the session.
 *
 * Browser-safe (no Node APIs): the web app's review page and the tests use the same code.
 *
 * @module
 */
import type { DiagnosticReport, Organization, Reference } from "@medplum/fhirtypes";
import { isAddressEqual, type Address, type Hex } from "viem";
import type { MeridianClient } from "@meridian/sdk";
import { getMonitoringProvider, getSession, signDiagnosis } from "@meridian/sdk/chain";
import { RecordCategory } from "@meridian/sdk";
import { MeridianError } from "@meridian/sdk";
import { ADDRESS_SYSTEM, SESSION_ID_SYSTEM, WINDOW_ID_SYSTEM } from "./fhir.ts";

const SNOMED = "http://snomed.info/sct";

/**
 * Rhythm findings a clinician can tick, as SNOMED CT concepts (the codes the PhysioNet/CinC
 * Challenge 2020 used to label 12-lead ECGs).
 */
export const ECG_FINDINGS = [
  { code: "426783006", display: "Sinus rhythm" },
  { code: "427084000", display: "Sinus tachycardia" },
  { code: "426177001", display: "Sinus bradycardia" },
  { code: "164889003", display: "Atrial fibrillation" },
  { code: "164890007", display: "Atrial flutter" },
  { code: "284470004", display: "Premature atrial contraction" },
  { code: "427172004", display: "Premature ventricular contractions" },
  { code: "11157007", display: "Ventricular bigeminy" },
  { code: "164895002", display: "Ventricular tachycardia" },
  { code: "164909002", display: "Left bundle branch block" },
  { code: "59118001", display: "Right bundle branch block" },
  { code: "10370003", display: "Pacing rhythm" },
] as const;

/** SNOMED CT code of one of {@link ECG_FINDINGS}. */
export type EcgFindingCode = (typeof ECG_FINDINGS)[number]["code"];

/** The diagnosis cannot be written as asked (no conclusion, unknown finding, session not signable). */
export class DiagnosisError extends MeridianError {
  override name: "DiagnosisError" | "DiagnosisNotLinkedError" = "DiagnosisError";
}

/** The diagnosis record was anchored but `signDiagnosis` failed: link it with `signFinalDiagnosis({ recordId })`. */
export class DiagnosisNotLinkedError extends DiagnosisError {
  override name = "DiagnosisNotLinkedError" as const;
  /** The anchored diagnosis record. */
  readonly recordId: Hex;
  constructor(recordId: Hex, cause: unknown) {
    const reason =
      cause instanceof MeridianError ? cause.shortMessage : cause instanceof Error ? cause.message : String(cause);
    super(`The diagnosis was stored as record ${recordId.slice(0, 10)}… but not yet linked to the session: ${reason}`, {
      hint: "Sign again: the same record is linked, no second copy is written.",
      cause: cause as Error,
    });
    this.recordId = recordId;
  }
}

/** Input of {@link buildDiagnosisReport}. */
export interface DiagnosisInput {
  /** The patient's address. */
  patient: Address;
  /** The monitoring session on chain. */
  sessionId: Hex;
  /** The provider's address (the wallet that signs; the performer). */
  provider: Address;
  /** The provider's name as registered, for display. */
  providerName?: string;
  /** The clinician's conclusion in words (1 to 4,000 characters). */
  conclusion: string;
  /** Findings ticked, from {@link ECG_FINDINGS}; at least one. */
  findings: readonly string[];
  /** Message ids (window digests) of the windows reviewed, and the period they cover (ISO 8601). */
  reviewedWindows: readonly Hex[];
  period?: { start: string; end: string };
  /** Issue time (ms since the epoch; default now). */
  issuedAt?: number;
}

/**
 * Builds the final `DiagnosticReport` (see the module documentation). Pure.
 *
 * @throws {@link DiagnosisError} on an empty or over-long conclusion, no finding, or a code not in {@link ECG_FINDINGS}.
 */
export function buildDiagnosisReport(input: DiagnosisInput): DiagnosticReport {
  const conclusion = input.conclusion.trim();
  if (conclusion.length === 0)
    throw new DiagnosisError("Write a conclusion before signing.", {
      hint: "Say in words what the ECG shows and what should follow.",
    });
  if (conclusion.length > 4000)
    throw new DiagnosisError(`The conclusion is ${conclusion.length} characters; at most 4,000.`, {
      hint: "Shorten it; attach a document for a longer report.",
    });
  if (input.findings.length === 0) throw new DiagnosisError("Tick at least one rhythm finding before signing.");
  const codings = input.findings.map((code) => {
    const finding = ECG_FINDINGS.find((f) => f.code === code);
    if (!finding)
      throw new DiagnosisError(`"${code}" is not one of the rhythm findings offered.`, {
        hint: `Use one of ${ECG_FINDINGS.map((f) => f.code).join(", ")}.`,
      });
    return { coding: [{ system: SNOMED, code: finding.code, display: finding.display }], text: finding.display };
  });
  const actor = (address: Address, display?: string): Reference<Organization> => ({
    type: "Organization",
    identifier: { system: ADDRESS_SYSTEM, value: address },
    ...(display ? { display } : {}),
  });
  return {
    resourceType: "DiagnosticReport",
    status: "final",
    category: [
      {
        coding: [
          {
            system: "http://terminology.hl7.org/CodeSystem/v2-0074",
            code: "EC",
            display: "Electrocardiac (e.g., EKG, EEC, Holter)",
          },
        ],
      },
    ],
    code: {
      coding: [{ system: "http://loinc.org", code: "11524-6", display: "EKG study" }],
      text: "Remote ECG monitoring: clinician's diagnosis",
    },
    subject: { identifier: { system: ADDRESS_SYSTEM, value: input.patient }, display: "Patient (Ethereum account)" },
    ...(input.period ? { effectivePeriod: input.period } : {}),
    issued: new Date(input.issuedAt ?? Date.now()).toISOString(),
    identifier: [{ system: SESSION_ID_SYSTEM, value: input.sessionId }],
    performer: [actor(input.provider, input.providerName)],
    resultsInterpreter: [actor(input.provider, input.providerName)],
    result: input.reviewedWindows.map((digest) => ({
      type: "Observation",
      identifier: { system: WINDOW_ID_SYSTEM, value: digest },
      display: `ECG window ${digest.slice(0, 10)}…`,
    })),
    conclusion,
    conclusionCode: codings,
  };
}

/** What {@link signFinalDiagnosis} did. Gas in gas units. */
export interface SignedDiagnosis {
  recordId: Hex;
  /** Gas of anchoring the record (0 when an already-anchored record was linked) and of `signDiagnosis`. */
  anchorGas: bigint;
  signGas: bigint;
}

/**
 * Anchors `report` as a Cardiac record of the session's patient (encrypted like every record)
 * and links it with `signDiagnosis`, closing the session. Checks first that the session is open
 * and this wallet is its provider and still the patient's monitoring provider, so a refusal
 * comes before anything is written. When the anchoring succeeded but linking failed (e.g. the
 * wallet declined the second transaction), call again with `recordId` to link that record
 * instead of anchoring another.
 *
 * @throws {@link DiagnosisError} when the session is closed or not this wallet's (nothing
 *   written); {@link DiagnosisNotLinkedError} (with the `recordId`) when the record was anchored
 *   but linking failed; the SDK's errors when anchoring failed (no write consent, wallet
 *   declined, chain unreachable; nothing anchored).
 */
export async function signFinalDiagnosis(
  client: MeridianClient,
  p: { sessionId: Hex; report: DiagnosticReport; recordId?: Hex; onStage?: (stage: "anchoring" | "signing") => void },
): Promise<SignedDiagnosis> {
  const session = await getSession(client.ctx, p.sessionId);
  const me = client.address;
  if (!session.open)
    throw new DiagnosisError("This monitoring session is closed: its diagnosis cannot change.", {
      hint: session.diagnosisRecordId
        ? `Its diagnosis is record ${session.diagnosisRecordId}.`
        : "The patient or provider closed it without a diagnosis.",
    });
  if (!isAddressEqual(session.provider, me))
    throw new DiagnosisError("This session belongs to another provider.", {
      hint: `Connect the wallet of ${session.provider}.`,
    });
  const named = await getMonitoringProvider(client.ctx, session.patient);
  if (named === undefined || !isAddressEqual(named, me))
    throw new DiagnosisError("The patient no longer names you as their monitoring provider.", {
      hint: "Ask the patient to name you again before signing.",
    });
  let recordId = p.recordId;
  let anchorGas = 0n;
  if (!recordId) {
    p.onStage?.("anchoring");
    const added = await client.addRecord({
      plaintext: new TextEncoder().encode(JSON.stringify(p.report)),
      category: RecordCategory.Cardiac,
      patient: session.patient,
    });
    recordId = added.recordId;
    anchorGas = added.gasUsed;
  }
  p.onStage?.("signing");
  try {
    const signed = await signDiagnosis(client.ctx, { sessionId: p.sessionId, diagnosisRecordId: recordId });
    return { recordId, anchorGas, signGas: signed.gasUsed };
  } catch (error) {
    throw new DiagnosisNotLinkedError(recordId, error);
  }
}
