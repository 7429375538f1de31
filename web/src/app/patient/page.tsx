"use client";

import { Gate } from "@/components/gate.tsx";
import { useMeridian } from "@/lib/meridian.tsx";
import { RecordTimeline, VerifyChain } from "@/components/patient/records.tsx";
import { UploadRecords } from "@/components/patient/upload.tsx";
import { AuditLog, Grants, RequestInbox } from "@/components/patient/sharing.tsx";
import { LabTrends } from "@/components/patient/lab-trends.tsx";
import { RemoteMonitoring } from "@/components/patient/monitoring.tsx";
import { ConsentByCode } from "@/components/consent/create-code.tsx";
import { Guardians, StaleKeysNotice } from "@/components/guardian/guardians.tsx";
import { EmergencySummaryCard } from "@/components/emergency/patient-summary.tsx";
import { PeerValidationConsent } from "@/components/validation/patient-consent.tsx";

export default function PatientPage() {
  const { client } = useMeridian();
  return (
    <>
      <h1>Your records</h1>
      <Gate audience="patient">
        {client ? (
          <>
            <StaleKeysNotice client={client} />
            <RequestInbox client={client} patient={client.address} />
            <UploadRecords client={client} />
            <RecordTimeline client={client} patient={client.address} />
            <PeerValidationConsent client={client} />
            <LabTrends client={client} patient={client.address} />
            <Grants client={client} patient={client.address} />
            <ConsentByCode client={client} />
            <Guardians client={client} />
            <EmergencySummaryCard client={client} />
            <RemoteMonitoring client={client} />
            <AuditLog client={client} patient={client.address} />
            <VerifyChain client={client} patient={client.address} />
          </>
        ) : null}
      </Gate>
    </>
  );
}
