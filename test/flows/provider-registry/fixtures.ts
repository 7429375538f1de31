/**
 * Shared set-up of the ProviderRegistry flows: the kit's embedded chain, whose Meridian deployment
 * has account #0 as admin and #1 as regulator, the accounts, and the named fixtures.
 */
import { after } from "node:test";
import { keccak256, stringToHex } from "viem";
import { ProviderKind as Kind, providerRegistryAbi } from "@meridian/sdk/chain";
import { bindContract, fixtureLoader, mined, startTestChain, testAccount, testNode } from "@meridian/sdk/testing";

export const admin = testAccount(0);
export const regulator = testAccount(1);
export const hospital = testAccount(2);
export const lab = testAccount(3);
export const outsider = testAccount(4);
export const suspender = testAccount(5);

export const KEY_A = keccak256(stringToHex("provider x25519 key A"));
export const KEY_B = keccak256(stringToHex("provider x25519 key B"));
/** `IProviderRegistry.ProviderKind.None` (the SDK's `ProviderKind` lists only valid kinds). */
export const KIND_NONE = 0;

/**
 * Starts a test chain (closed after the file's tests) and returns the registry bound to its ABI,
 * the node controls, a fixture loader and the fixtures: `deployProviderRegistry` (with `suspender`
 * granted SUSPENDER_ROLE by the admin, as the constructor grants it to no one), `withHospital`
 * (`hospital` admitted, Active), `withSuspendedHospital` and `withRemovedHospital`.
 */
export async function providerRegistryFlow() {
  const kit = await startTestChain();
  after(() => kit.close());
  const providers = bindContract(kit, providerRegistryAbi, kit.deployment.providerRegistry);

  async function deployProviderRegistry() {
    const REGULATOR_ROLE = await providers.read.REGULATOR_ROLE();
    const SUSPENDER_ROLE = await providers.read.SUSPENDER_ROLE();
    const DEFAULT_ADMIN_ROLE = await providers.read.DEFAULT_ADMIN_ROLE();
    await mined(kit, providers.as(admin).grantRole([SUSPENDER_ROLE, suspender.address]));
    return { REGULATOR_ROLE, SUSPENDER_ROLE, DEFAULT_ADMIN_ROLE };
  }

  async function withHospital() {
    const f = await deployProviderRegistry();
    await mined(kit, providers.as(regulator).admit([hospital.address, Kind.Hospital, "St. Elsewhere", "Cardiology"]));
    return f;
  }

  async function withSuspendedHospital() {
    const f = await withHospital();
    await mined(kit, providers.as(regulator).suspend([hospital.address]));
    return f;
  }

  async function withRemovedHospital() {
    const f = await withHospital();
    await mined(kit, providers.as(regulator).remove([hospital.address]));
    return f;
  }

  return {
    kit,
    node: testNode(kit),
    loadFixture: fixtureLoader(kit),
    providers,
    asRegulator: providers.as(regulator),
    asSuspender: providers.as(suspender),
    deployProviderRegistry,
    withHospital,
    withSuspendedHospital,
    withRemovedHospital,
  };
}
