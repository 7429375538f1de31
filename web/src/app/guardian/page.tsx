"use client";

import { Gate } from "@/components/gate.tsx";
import { Wards } from "@/components/guardian/wards.tsx";
import { useMeridian } from "@/lib/meridian.tsx";

export default function GuardianPage() {
  const { client } = useMeridian();
  return (
    <>
      <h1>Guardian</h1>
      <Gate audience="patient">{client ? <Wards client={client} /> : null}</Gate>
    </>
  );
}
