/**
 * How guardianships and emergency accesses are printed (JSON on stdout), shared by the commands
 * that list them (`guardian list|wards`, `rekey`, `emergency list`, `audit`).
 *
 * @module
 */
import { GuardianLevel, type EmergencyAccessEntry, type Guardianship } from "@meridian/sdk/chain";

/** A guardianship as printed: the level by name, `view` or `share and view`. */
export function guardianView(g: Guardianship) {
  return {
    patient: g.patient,
    guardian: g.guardian,
    level: g.level === GuardianLevel.View ? "view" : "share and view",
    keyEpoch: g.keyEpoch,
  };
}

/** An emergency access as printed: its end as an ISO 8601 time, `keyReleasedBy` null when no key was released. */
export function emergencyView(e: EmergencyAccessEntry) {
  return {
    provider: e.provider,
    reason: e.reason,
    active: e.active,
    expiresAt: new Date(e.expiresAt * 1000).toISOString(),
    keyReleasedBy: e.releasedBy ?? null,
    recordId: e.recordId,
  };
}
