/**
 * Peer validation through the `meridian` CLI, as separate processes against a real `hardhat node`
 * with the embedded Helia store on disk: one diagnosis validated by 3 of the 4 chosen hospitals,
 * another rejected, the abuse cases refused by name, and `meridian list` showing the status.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createMeridianClient } from "@meridian/sdk";
import { admitProvider } from "@meridian/sdk/chain";
import { joinValidatorPool } from "@meridian/sdk/chain";
import { ProviderKind } from "@meridian/sdk/chain";
import { createHeliaStore } from "@meridian/sdk/storage";
import { TEST_REGULATOR } from "@meridian/sdk/testing";
import { loadDeployment } from "./env.ts";
import { devAddress as addr, startCliHarness, type CliHarness } from "./testing/harness.ts";

const AUTHOR = 2,
  PATIENT = 5;
const HOSPITALS = [7, 8, 9, 10, 11];
let h: CliHarness;
let dir: string;
const cli: CliHarness["cli"] = (dev, ...args) => h.cli(dev, ...args);

/** Runs a command that must succeed and parses its JSON output, read as `T`. */
async function json<T = unknown>(dev: number | undefined, ...args: string[]): Promise<T> {
  const r = await cli(dev, ...args);
  assert.equal(r.code, 0, `meridian ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** What `validation vote` prints (the part read here). */
interface Vote {
  status: string;
}

/** What `validation status` prints (the parts read here). */
interface CaseStatus {
  status: string;
  approvals: number;
  rejections: number;
  votes: unknown[];
  poolAtSubmission: number;
}

before(async () => {
  h = await startCliHarness("validation-cli");
  ({ dir } = h);
  await json(0, "deploy", "--regulator", addr(1));
  // Setup through the SDK in this process (each CLI run costs ~3 s of start-up); the validation
  // commands themselves all run through the CLI.
  const deployment = await loadDeployment(path.join(dir, "deployment.json"));
  const ctx = (dev: number) => h.node.as(dev, deployment);
  const store = await createHeliaStore({ directory: path.join(dir, "setup-ipfs") });
  try {
    for (const [i, dev] of [AUTHOR, ...HOSPITALS].entries()) {
      await admitProvider(ctx(TEST_REGULATOR), {
        provider: addr(dev),
        kind: ProviderKind.Hospital,
        name: i === 0 ? "Author General" : `Peer Hospital ${i}`,
        department: "",
      });
      await createMeridianClient({ ...ctx(dev), store }).publishProviderKey();
      if (i > 1) await joinValidatorPool(ctx(dev));
    }
  } finally {
    await store.close();
  }
  await json(HOSPITALS[0], "validation", "join-pool");
  await json(PATIENT, "register");
  await json(PATIENT, "grant", addr(AUTHOR), "--category", "general", "--write");
});

after(async () => {
  await h?.close();
});

/**
 * The author writes the diagnoses in one `add`; the patient consents to each; the author submits
 * them; two hospitals draw (one each, in parallel: different senders); the author shares the keys.
 * Runs that send from different accounts go in parallel (each CLI run costs ~3 s of start-up).
 */
async function diagnosed(...texts: string[]): Promise<{ recordId: string; validators: number[]; unchosen: number }[]> {
  const files = texts.map((text) => path.join(dir, `${text.replace(/\W+/g, "-")}.json`));
  for (const [i, text] of texts.entries())
    await writeFile(
      files[i]!,
      JSON.stringify({ resourceType: "Condition", subject: { reference: "Patient/p1" }, code: { text } }),
    );
  const add = ["add", ...files, "--patient", addr(PATIENT), "--category", "general"];
  const added = await json<{ recordId: string }[]>(AUTHOR, ...add);
  const ids = added.map((a) => a.recordId);
  const consents = await Promise.all(
    ids.map((id) => json<{ consent: string }>(PATIENT, "validation", "consent", id, "--author", addr(AUTHOR))),
  );
  for (const [i, id] of ids.entries()) {
    const submit = ["validation", "submit", id, "--consent", consents[i]!.consent];
    const submitted = await json<{ seedBlock: string }>(AUTHOR, ...submit);
    assert.ok(BigInt(submitted.seedBlock) > 0n);
  }
  const draws = await Promise.all(
    ids.map((id, i) => json<{ chosen: { validator: string }[] }>(HOSPITALS[i], "validation", "draw", id)),
  );
  const cases = ids.map((recordId, i) => {
    const chosen = draws[i]!.chosen.map((c) => c.validator.toLowerCase());
    assert.equal(chosen.length, 4);
    const validators = HOSPITALS.filter((d) => chosen.includes(addr(d).toLowerCase()));
    assert.equal(validators.length, 4, "4 distinct hospitals of the pool, never the author's");
    return { recordId, validators, unchosen: HOSPITALS.find((d) => !validators.includes(d))! };
  });
  for (const id of ids) {
    assert.equal((await json<{ sharedWith: unknown[] }>(AUTHOR, "validation", "share-keys", id)).sharedWith.length, 4);
  }
  return cases;
}

test(
  "a diagnosis validated by 3 of 4 chosen hospitals and another rejected, through the CLI",
  { timeout: 300_000 },
  async () => {
    const [first, second] = (await diagnosed("atrial fibrillation", "community-acquired pneumonia")) as [
      Awaited<ReturnType<typeof diagnosed>>[number],
      Awaited<ReturnType<typeof diagnosed>>[number],
    ];
    // every chosen hospital reads the record; the one not chosen cannot
    const reads = await Promise.all(
      [...first.validators, first.unchosen].map((v) =>
        cli(v, "validation", "read", first.recordId, "--out", path.join(dir, `read-${v}.json`)),
      ),
    );
    for (const [i, v] of first.validators.entries()) {
      assert.equal(reads[i]!.code, 0, reads[i]!.stderr);
      assert.match(await readFile(path.join(dir, `read-${v}.json`), "utf8"), /atrial fibrillation/);
    }
    const refusedRead = reads[4]!;
    assert.equal(refusedRead.code, 1);
    assert.match(refusedRead.stderr, /no seat/);

    const [a, b, c, d] = first.validators as [number, number, number, number];
    const early = await Promise.all([
      json<Vote>(a, "validation", "vote", first.recordId, "--approve", "--comment", "ECG supports it"),
      json<Vote>(b, "validation", "vote", first.recordId, "--reject", "--comment", "rate not documented"),
      json<Vote>(c, "validation", "vote", first.recordId, "--approve"),
    ]);
    assert.deepEqual(
      early.map((r) => r.status),
      ["pending", "pending", "pending"],
    );
    const last = await json<Vote>(d, "validation", "vote", first.recordId, "--approve", "--comment", "agree");
    assert.equal(last.status, "validated");
    const status = await json<CaseStatus>(PATIENT, "validation", "status", first.recordId);
    assert.deepEqual([status.status, status.approvals, status.rejections], ["validated", 3, 1]);
    assert.equal(status.votes.length, 4);
    // the pool the case draws from: the pool at its submission (unchanged since here)
    const [pool, casePool] = await Promise.all([
      json<string[]>(PATIENT, "validation", "pool"),
      json<string[]>(PATIENT, "validation", "pool", "--case", first.recordId),
    ]);
    assert.deepEqual([...casePool].sort(), [...pool].sort());
    assert.equal(status.poolAtSubmission, pool.length);

    const [e, f, g, h] = second.validators as [number, number, number, number];
    // abuse cases, each refused by its own error, changing nothing
    const [notChosen, byAuthor] = await Promise.all([
      cli(second.unchosen, "validation", "vote", second.recordId, "--approve"),
      cli(AUTHOR, "validation", "vote", second.recordId, "--approve"),
    ]);
    assert.equal(notChosen.code, 1);
    assert.match(notChosen.stderr, /not a chosen validator.*PeerValidationNotValidator/);
    assert.equal(byAuthor.code, 1);
    assert.match(byAuthor.stderr, /author of a record cannot validate it.*PeerValidationAuthorCannotVote/);
    await json(e, "validation", "vote", second.recordId, "--reject", "--comment", "no consolidation on the X-ray");
    const twice = await cli(e, "validation", "vote", second.recordId, "--approve");
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already voted.*PeerValidationAlreadyVoted/);
    await json(f, "validation", "vote", second.recordId, "--approve");
    assert.equal((await json<Vote>(g, "validation", "vote", second.recordId, "--reject")).status, "rejected");
    const late = await cli(h, "validation", "vote", second.recordId, "--approve");
    assert.equal(late.code, 1);
    assert.match(late.stderr, /PeerValidationCaseNotOpen/);
    const rejected = await json<CaseStatus>(undefined, "validation", "status", second.recordId);
    assert.deepEqual([rejected.status, rejected.approvals, rejected.rejections], ["rejected", 1, 2]);

    // the patient's list shows each record's status
    const listed = await json<{ recordId: string; validation: string }[]>(PATIENT, "list");
    const byId = new Map(listed.map((r) => [r.recordId, r.validation]));
    assert.equal(byId.get(first.recordId), "validated");
    assert.equal(byId.get(second.recordId), "rejected");
  },
);
