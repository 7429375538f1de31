/**
 * Code tables that decide a record's category (see `categorize.ts`): the whole HL7 v2 table
 * 0074 (diagnostic service section, the R4 `DiagnosticReport.category` code system), the FHIR
 * observation-category codes, a curated table of LOINC codes by LOINC class, and the LOINC
 * System-axis terms and UCUM concentration units that mark an in-vitro (specimen) measurement.
 * Internal to `fhir/`.
 *
 * @module
 */

import { RecordCategory } from "../categories.ts";

// The code-system URLs (LOINC, v2-0074, observation-category, ...) are in `format.ts`.

/**
 * LOINC codes of vital signs: the FHIR R4 vital signs profile (value set
 * `observation-vitalsignresult`: 85353-1, 9279-1, 8867-4, 2708-6, 8310-5, 8302-2, 9843-4,
 * 29463-7, 39156-5, 85354-9, 8480-6, 8462-4, 8478-0) and common extras (59408-5 SpO2 by pulse
 * oximetry, 8287-5 head circumference, 3141-9 weight measured, 8306-3 body height lying,
 * 77606-2 and 59576-9 paediatric percentiles, 8289-1 head circumference percentile, 72514-3 pain
 * severity). The categoriser files an Observation with one of these codes and no category under
 * VitalSigns; the record view lists it with the vital signs.
 */
export const VITAL_SIGN_LOINC: ReadonlySet<string> = new Set([
  "85353-1",
  "9279-1",
  "8867-4",
  "2708-6",
  "59408-5",
  "8310-5",
  "8302-2",
  "9843-4",
  "29463-7",
  "39156-5",
  "85354-9",
  "8480-6",
  "8462-4",
  "8478-0",
  "8287-5",
  "72514-3",
  "3141-9",
  "8306-3",
  "77606-2",
  "59576-9",
  "8289-1",
]);

/**
 * Every code of HL7 v2 table 0074 "Diagnostic Service Section ID" as published with FHIR R4
 * 4.0.1 (`v2-tables.json`, 45 codes; `category-codes.test.ts` checks the list is complete) and
 * the record category each one is evidence of. `General` means the section names no category
 * of ours (audiology, physiotherapy, ...). Products' categories: `categories.ts`.
 */
export const V2_0074_CATEGORY: Readonly<Record<string, RecordCategory>> = {
  // Laboratory sections.
  BG: RecordCategory.Lab, // Blood Gases
  BLB: RecordCategory.Lab, // Blood Bank
  CG: RecordCategory.Lab, // Cytogenetics
  CH: RecordCategory.Lab, // Chemistry
  CP: RecordCategory.Lab, // Cytopathology (e.g. a Pap smear)
  GE: RecordCategory.Lab, // Genetics
  HM: RecordCategory.Lab, // Hematology
  IMM: RecordCategory.Lab, // Immunology
  LAB: RecordCategory.Lab, // Laboratory
  MB: RecordCategory.Lab, // Microbiology
  MCB: RecordCategory.Lab, // Mycobacteriology
  MYC: RecordCategory.Lab, // Mycology
  OSL: RecordCategory.Lab, // Outside Lab
  PAR: RecordCategory.Lab, // Parasitology
  PAT: RecordCategory.Lab, // Pathology (gross & histopath, not surgical)
  SP: RecordCategory.Lab, // Surgical Pathology
  SR: RecordCategory.Lab, // Serology
  TX: RecordCategory.Lab, // Toxicology
  URN: RecordCategory.Lab, // Urinalysis
  VR: RecordCategory.Lab, // Virology
  // Imaging sections.
  CT: RecordCategory.Imaging, // CAT Scan
  IMG: RecordCategory.Imaging, // Diagnostic Imaging
  NMR: RecordCategory.Imaging, // Nuclear Magnetic Resonance
  NMS: RecordCategory.Imaging, // Nuclear Medicine Scan
  OUS: RecordCategory.Imaging, // OB Ultrasound
  RAD: RecordCategory.Imaging, // Radiology
  RUS: RecordCategory.Imaging, // Radiology Ultrasound
  RX: RecordCategory.Imaging, // Radiograph
  VUS: RecordCategory.Imaging, // Vascular Ultrasound
  XRC: RecordCategory.Imaging, // Cineradiograph
  // Cardiac sections.
  CTH: RecordCategory.Cardiac, // Cardiac Catheterization
  CUS: RecordCategory.Cardiac, // Cardiac Ultrasound
  EC: RecordCategory.Cardiac, // Electrocardiac (e.g., EKG, EEC, Holter)
  // Sections with no category of ours.
  AU: RecordCategory.General, // Audiology
  EN: RecordCategory.General, // Electroneuro (EEG, EMG, EP, PSG)
  ICU: RecordCategory.General, // Bedside ICU Monitoring
  NRS: RecordCategory.General, // Nursing Service Measures
  OT: RecordCategory.General, // Occupational Therapy
  OTH: RecordCategory.General, // Other
  PF: RecordCategory.General, // Pulmonary Function
  PHR: RecordCategory.General, // Pharmacy
  PHY: RecordCategory.General, // Physician (Hx. Dx, admission note, etc.)
  PT: RecordCategory.General, // Physical Therapy
  RC: RecordCategory.General, // Respiratory Care (therapy)
  RT: RecordCategory.General, // Radiation Therapy
};

/**
 * FHIR R4 observation-category codes (all 9) and the category each is evidence of; the other
 * codes (`social-history`, `procedure`, `survey`, `exam`, `therapy`, `activity`) are none.
 */
export const OBSERVATION_CATEGORY_CATEGORY: Readonly<Record<string, RecordCategory>> = {
  laboratory: RecordCategory.Lab,
  imaging: RecordCategory.Imaging,
  "vital-signs": RecordCategory.VitalSigns,
  "social-history": RecordCategory.General,
  procedure: RecordCategory.General,
  survey: RecordCategory.General,
  exam: RecordCategory.General,
  therapy: RecordCategory.General,
  activity: RecordCategory.General,
};

/** LOINC Part codes used as report categories (LOINC Document Ontology / radiology playbook). */
export const LOINC_PART_CATEGORY: Readonly<Record<string, RecordCategory>> = {
  "LP29684-5": RecordCategory.Imaging, // Radiology
  "LP29708-2": RecordCategory.Cardiac, // Cardiology
  "LP7839-6": RecordCategory.Lab, // Pathology
};

/**
 * A curated table of LOINC codes by LOINC class family (the part of the `CLASS` column before
 * the first dot, and `PANEL` for the `PANEL.*` classes), after the LOINC table (`Loinc.csv`,
 * Regenstrief Institute, https://loinc.org/downloads/). No npm package ships the LOINC table
 * (its licence requires registration), so this lists the common laboratory, imaging and
 * cardiac codes, and the codes of the HL7 R4 examples; codes not listed fall back to the LOINC
 * System-axis and unit rules in `categorize.ts`.
 *
 * Oxygen saturation 2708-6 is left out on purpose: the FHIR R4 vital-signs profile uses it
 * for pulse oximetry.
 */
const LOINC_BY_CLASS: Readonly<Record<string, readonly string[]>> = {
  CHEM: [
    "2339-0",
    "2345-7",
    "15074-8",
    "14749-6",
    "4548-4",
    "17856-6",
    "2093-3",
    "2085-9",
    "18262-6",
    "13457-7",
    "2089-1",
    "2571-8",
    "3043-7",
    "2160-0",
    "38483-4",
    "33914-3",
    "48642-3",
    "48643-1",
    "62238-1",
    "3094-0",
    "6299-2",
    "14937-7",
    "14682-9",
    "2951-2",
    "2947-0",
    "2823-3",
    "6298-4",
    "2075-0",
    "2069-3",
    "2028-9",
    "20565-8",
    "1963-8",
    "1863-0",
    "17861-6",
    "49765-1",
    "2777-1",
    "19123-9",
    "2601-3",
    "1742-6",
    "1920-8",
    "6768-6",
    "1975-2",
    "14631-6",
    "14629-0",
    "1968-7",
    "2885-2",
    "1751-7",
    "2336-6",
    "10834-0",
    "1759-0",
    "2324-2",
    "2532-0",
    "3084-1",
    "14933-6",
    "3016-3",
    "3024-7",
    "3026-2",
    "3051-0",
    "1988-5",
    "30522-7",
    "2276-4",
    "2498-4",
    "2500-7",
    "2502-3",
    "2132-9",
    "2284-8",
    "1989-3",
    "62292-8",
    "2157-6",
    "10839-9",
    "42757-5",
    "6598-7",
    "67151-1",
    "33762-6",
    "30934-4",
    "2986-8",
    "2857-1",
    "2744-1",
    "2019-8",
    "2703-7",
    "1960-4",
    "11558-4",
    "11557-6",
    "11556-8",
    "1925-7",
    "2524-7",
    "32693-4",
    "14627-4",
  ],
  "HEM/BC": [
    "718-7",
    "789-8",
    "4544-3",
    "20570-8",
    "787-2",
    "785-6",
    "786-4",
    "788-0",
    "21000-5",
    "30385-9",
    "777-3",
    "26515-7",
    "32623-1",
    "6690-2",
    "26464-8",
    "770-8",
    "751-8",
    "736-9",
    "731-0",
    "5905-5",
    "742-7",
    "713-8",
    "711-2",
    "706-2",
    "704-7",
    "26499-4",
    "26474-7",
    "26484-6",
    "26449-9",
    "26444-0",
    "30444-4",
    "4537-7",
    "30341-2",
    "17849-1",
  ],
  COAG: ["5902-2", "6301-6", "34714-6", "3173-2", "14979-9", "3255-7", "48065-7", "48066-5"],
  UA: [
    "5778-6",
    "5767-9",
    "5811-5",
    "5804-0",
    "5794-3",
    "25428-4",
    "20454-5",
    "33903-6",
    "5802-4",
    "5799-2",
    "5770-3",
    "5792-7",
    "2514-8",
    "5803-2",
    "2888-6",
    "14959-1",
  ],
  MICRO: ["624-7", "664-3", "600-7", "630-4", "625-4", "6463-4", "11475-1", "580-1", "43304-5", "94500-6", "94309-2"],
  ABXBACT: ["28-1", "185-9", "267-5", "18864-9", "18906-8", "18928-2", "18900-1", "18993-6"],
  SERO: ["5196-1", "16935-9", "22327-1", "7905-3", "5221-7", "29893-5", "13955-0", "16128-1"],
  MOLPATH: ["75034-9", "54447-8", "55201-8", "33893-9", "21636-6", "53037-8"],
  CELLMARK: ["47016-1", "49464-1", "49466-6", "8123-2", "24467-3"],
  PATH: ["11529-5", "22634-0", "60568-3", "22637-3", "33746-9"],
  CYTO: ["10524-7", "19762-4", "19764-0", "47527-7", "47528-5", "33717-0", "19774-9"],
  "DRUG/TOX": ["3426-2", "3349-6", "5643-2", "3397-5"],
  BLDBK: ["882-1", "883-9", "10331-7", "890-4"],
  PANEL: [
    "58410-2",
    "57021-8",
    "57782-5",
    "69742-5",
    "24360-0",
    "24323-8",
    "51990-0",
    "24320-4",
    "24321-2",
    "24362-6",
    "24325-3",
    "57698-3",
    "24331-1",
    "24356-8",
    "24357-6",
    "24336-0",
    "24338-6",
    "34555-3",
    "38875-1",
  ],
  RAD: ["18748-4", "18782-3", "18726-0", "36643-5", "24627-2", "24604-1", "38269-7", "24558-9", "30746-2", "24590-2"],
  CARD: [
    "11524-6",
    "8601-7",
    "18844-1",
    "8625-6",
    "8633-0",
    "8634-8",
    "8636-3",
    "8632-2",
    "8626-4",
    "8638-9",
    "76282-3",
    "10230-1",
    "18010-0",
    "34552-0",
  ],
};

/** Record category of each LOINC class family in {@link LOINC_BY_CLASS}. */
const CLASS_CATEGORY: Readonly<Record<string, RecordCategory>> = {
  CHEM: RecordCategory.Lab,
  "HEM/BC": RecordCategory.Lab,
  COAG: RecordCategory.Lab,
  UA: RecordCategory.Lab,
  MICRO: RecordCategory.Lab,
  ABXBACT: RecordCategory.Lab,
  SERO: RecordCategory.Lab,
  MOLPATH: RecordCategory.Lab,
  CELLMARK: RecordCategory.Lab,
  PATH: RecordCategory.Lab,
  CYTO: RecordCategory.Lab,
  "DRUG/TOX": RecordCategory.Lab,
  BLDBK: RecordCategory.Lab,
  PANEL: RecordCategory.Lab,
  RAD: RecordCategory.Imaging,
  CARD: RecordCategory.Cardiac,
};

const LOINC_CLASS = new Map<string, string>(
  Object.entries(LOINC_BY_CLASS).flatMap(([cls, codes]) => codes.map((code): [string, string] => [code, cls])),
);

/**
 * The LOINC class family of a LOINC code from the curated table (`"CHEM"`, `"HEM/BC"`, `"MICRO"`,
 * `"RAD"`, ...), or `undefined` when the code is not in it.
 */
export function loincClass(code: string): string | undefined {
  return LOINC_CLASS.get(code);
}

/**
 * The record category a LOINC code's class is evidence of: Lab for the laboratory classes
 * (LOINC CLASSTYPE 1), Imaging for RAD, Cardiac for EKG/echo/cardiac codes; `undefined` for
 * codes not in the table. (Heart rate 8867-4 is not listed: `categorize.ts` treats it as a
 * vital sign unless measured by ECG.)
 */
export function loincClassCategory(code: string): RecordCategory | undefined {
  const cls = LOINC_CLASS.get(code);
  return cls === undefined ? undefined : CLASS_CATEGORY[cls];
}

/**
 * LOINC System-axis terms (the specimen) as they appear in LOINC long common names ("Glucose
 * [Moles/volume] in Blood", "Sodium ... in Serum or Plasma") and short names ("Bld", "Ser/Plas",
 * "Spt", "Islt"), and in local lab code displays ("Creatinine(Serum)"). A bare "blood" is only
 * matched as "in ... blood" so that "Blood pressure" is not a specimen.
 */
export const SPECIMEN_TEXT = new RegExp(
  [
    String.raw`\bin (arterial |venous |capillary |cord |mixed venous )?blood\b`,
    String.raw`\b(serum|plasma|ser/plas|urine|urine sediment|csf|cerebral spinal fluid|bone marrow|sputum|stool|feces)\b`,
    String.raw`\b(synovial|pleural|peritoneal|pericardial|amniotic|body) fluid\b`,
    String.raw`\b(bld|bld\.art|bldv|bldc|spt|islt|isolate|specimen|xxx|tiss|tissue|semen|saliva|nasopharynx)\b`,
    String.raw`\b(cervical or vaginal|cvx/vag|cervix)\b`,
  ].join("|"),
  "i",
);

/**
 * UCUM units of concentration in a volume (mass, substance, catalytic activity or count per
 * litre: `mg/dL`, `mmol/L`, `U/L`, `10*9/L`, `/uL`), the LOINC properties MCnc, SCnc, CCnc and
 * NCnc, which only in-vitro (specimen) measurements have.
 */
const CONCENTRATION_UNIT =
  /^(([munpf]|u|μ|k)?(mol|g|eq|kat)|(m|k)?i?u|#|cells|\{[^}]*\}|10\*\d+|10\^\d+)?\/(10\*\d+\.)?([dcmunpf]|μ)?l$/i;

/** Whether a UCUM unit (or its printed form) is a concentration per volume; see {@link CONCENTRATION_UNIT}. */
export function isConcentrationUnit(unit: string | undefined): boolean {
  return unit !== undefined && CONCENTRATION_UNIT.test(unit.trim());
}
