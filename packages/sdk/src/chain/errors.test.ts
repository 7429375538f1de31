/**
 * Every custom error of every Meridian contract reads as plain language: what happened and what to
 * do. Walks each `type: "error"` entry of every generated ABI (the errors the contracts declare and
 * those they inherit from OpenZeppelin), so an error added to a contract without a `@notice` and a
 * `@custom:hint` in its NatSpec fails here, and a revert never reaches a user as a bare name.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeErrorResult, type Abi } from "viem";
import * as generated from "../generated/contracts.ts";
import { contractErrorExplanations } from "../generated/contract-errors.ts";
import { ContractRevertedError, decodeRevert, explainContractError } from "./errors.ts";

/** One custom error of an ABI. */
type AbiError = Extract<Abi[number], { type: "error" }>;

/** Every generated ABI, by its export name (`recordRegistryAbi`, ...). */
const abis: [string, Abi][] = Object.entries(generated)
  .filter(([name]) => name.endsWith("Abi"))
  .map(([name, abi]) => [name, abi as Abi]);

/** Every custom error in the generated ABIs, with the ABI it was found in. */
const errors: { abi: string; error: AbiError }[] = abis.flatMap(([abi, items]) =>
  items.filter((item): item is AbiError => item.type === "error").map((error) => ({ abi, error })),
);

/** Errors the contracts declare themselves (not inherited from OpenZeppelin): prefixed with the contract's name. */
const OWN_ERROR = /^(RecordRegistry|ProviderRegistry|PeerValidation|MonitoringRegistry)[A-Z]/;

test("the walk finds the five contracts' ABIs and their errors", () => {
  assert.deepEqual(abis.map(([name]) => name).sort(), [
    "meridianTimelockAbi",
    "monitoringRegistryAbi",
    "peerValidationAbi",
    "providerRegistryAbi",
    "recordRegistryAbi",
  ]);
  assert.ok(errors.length > 90, `found only ${errors.length} errors; is the walk broken?`);
});

test("every custom error in every generated ABI has a plain-language explanation and a hint", () => {
  const missing: string[] = [];
  for (const { abi, error } of errors) {
    const explanation = explainContractError(error.name);
    if (!explanation) {
      missing.push(`${abi}: ${error.name} has no explanation (add @notice and @custom:hint to its NatSpec)`);
      continue;
    }
    const { message, hint } = explanation;
    if (!/^[A-Z].*[.)]$/.test(message)) missing.push(`${abi}: ${error.name}: message is not a sentence: ${message}`);
    if (!/^[A-Z].*[.)]$/.test(hint)) missing.push(`${abi}: ${error.name}: hint is not a sentence: ${hint}`);
    if (message.includes(error.name) || hint.includes(error.name)) missing.push(`${abi}: ${error.name}: names itself`);
  }
  assert.deepEqual(missing, []);
});

test("the contracts' own errors are explained by their NatSpec, one source of truth", () => {
  const own = [...new Set(errors.map(({ error }) => error.name).filter((name) => OWN_ERROR.test(name)))];
  assert.ok(own.length >= 85, `found only ${own.length} errors of our own`);
  assert.deepEqual(
    own.filter((name) => !(name in contractErrorExplanations)),
    [],
  );
  // and nothing is generated for an error no contract has any more
  const inAbis = new Set(errors.map(({ error }) => error.name));
  assert.deepEqual(
    Object.keys(contractErrorExplanations).filter((name) => !inAbis.has(name)),
    [],
  );
});

test("consent-code, guardian and emergency reverts explain themselves (they showed only their name before)", () => {
  for (const errorName of [
    "RecordRegistryConsentExpired",
    "RecordRegistryConsentAlreadyUsed",
    "RecordRegistryInvalidConsentSignature",
    "RecordRegistryNotGuardian",
    "RecordRegistryNoEmergencySummary",
    "RecordRegistryEmergencyAccessNotActive",
    "TimelockUnexecutedPredecessor",
  ]) {
    const error = new ContractRevertedError(errorName, []);
    assert.doesNotMatch(error.shortMessage, /^The contract reverted with/, errorName);
    assert.ok(error.hint, `${errorName} has a hint`);
  }
});

test("revert data decodes to the error's name, arguments and explanation", () => {
  const data = encodeErrorResult({
    abi: generated.recordRegistryAbi,
    errorName: "RecordRegistryConsentExpired",
    args: [1_700_000_000, 1_700_000_100],
  });
  const decoded = decodeRevert(data);
  assert.ok(decoded);
  const error = new ContractRevertedError(decoded.errorName, decoded.args);
  assert.equal(error.errorName, "RecordRegistryConsentExpired");
  assert.equal(
    error.shortMessage,
    "This consent code's deadline has passed; it can no longer be redeemed. (RecordRegistryConsentExpired)",
  );
  assert.equal(error.details, "RecordRegistryConsentExpired(1700000000, 1700000100)");
  assert.match(error.hint ?? "", /meridian consent create/);
});
