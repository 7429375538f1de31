/**
 * ProviderRegistry: providers' node endpoints (where their Meridian node pins and serves record
 * envelopes) and the enumeration of providers without event logs, through the SDK's actions
 * (`setNodeEndpoints`, `getNodeEndpoints`, `listProviderNodes`) on the embedded chain; and the
 * gas of admission, which must not grow with the number of providers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createPublicClient, custom, type EIP1193Parameters, type Hash } from "viem";
import {
  getNodeEndpoints,
  listProviderNodes,
  ProviderKind as Kind,
  setNodeEndpoints,
  type MeridianContext,
} from "@meridian/sdk/chain";
import { expectEvent, mined, testAccount } from "@meridian/sdk/testing";
import { hospital, lab, providerRegistryFlow, regulator } from "./fixtures.ts";

const { kit, loadFixture, providers, asRegulator, withHospital } = await providerRegistryFlow();

/** An SDK context acting as `account` on the flow's chain. */
const ctxOf = (account: typeof hospital): MeridianContext => kit.as(account);

describe("ProviderRegistry node endpoints", () => {
  it("an active provider publishes its node's URLs; listProviderNodes lists active providers only", async () => {
    await loadFixture(withHospital);
    await mined(kit, asRegulator.admit([lab.address, Kind.Lab, "City Lab", ""]));
    const receipt = await mined(
      kit,
      providers.as(hospital).setNodeEndpoints([["https://ipfs.st-elsewhere.example", "http://10.0.0.2:4100"]]),
    );
    expectEvent(receipt, providers, "ProviderNodeEndpointsSet", {
      provider: hospital.address,
      endpoints: ["https://ipfs.st-elsewhere.example", "http://10.0.0.2:4100"],
    });
    await setNodeEndpoints(ctxOf(lab), { endpoints: ["http://lab.example:4100"] });
    assert.deepEqual(await getNodeEndpoints(ctxOf(lab), { provider: lab.address }), ["http://lab.example:4100"]);
    const before = await listProviderNodes(ctxOf(regulator));
    assert.deepEqual(
      before.map((p) => [p.provider, p.name, p.endpoints]),
      [
        [hospital.address, "St. Elsewhere", ["https://ipfs.st-elsewhere.example", "http://10.0.0.2:4100"]],
        [lab.address, "City Lab", ["http://lab.example:4100"]],
      ],
    );
    await mined(kit, asRegulator.suspend([lab.address]));
    const after = await listProviderNodes(ctxOf(regulator));
    assert.deepEqual(
      after.map((p) => p.provider),
      [hospital.address],
    );
  });

  it("listProviderNodes reads no event logs (works where eth_getLogs is refused)", async () => {
    await loadFixture(withHospital);
    const methods: string[] = [];
    const transport = custom({
      request: (args: EIP1193Parameters) => {
        methods.push(args.method);
        return kit.provider.request(args as Parameters<typeof kit.provider.request>[0]);
      },
    });
    const counting = createPublicClient({ transport });
    const nodes = await listProviderNodes({ publicClient: counting, deployment: kit.deployment });
    assert.equal(nodes.length, 1);
    assert.ok(!methods.includes("eth_getLogs"), methods.join(","));
  });

  it("admission costs the same gas for the 2nd and the 12th provider (no growth with the registry)", async () => {
    await loadFixture(withHospital);
    const gasOf = async (hash: Promise<Hash>) => (await mined(kit, hash)).gasUsed;
    const gas: bigint[] = [];
    for (let i = 0; i < 11; i++) {
      const provider = testAccount(10 + i).address;
      gas.push(await gasOf(asRegulator.admit([provider, Kind.Clinic, "Clinic", ""])));
    }
    console.log(`      admit gas: 2nd provider ${gas[0]}, 12th provider ${gas[10]}`);
    // equal but for calldata: the addresses differ in how many zero bytes they hold (4 vs 16 gas each)
    const spread = gas[10]! > gas[0]! ? gas[10]! - gas[0]! : gas[0]! - gas[10]!;
    assert.ok(spread <= 20n * 12n, `admission gas moved by ${spread}`);
    assert.equal(await providers.read.providerCount(), 12n);
    assert.equal(await providers.read.providerAt([11n]), testAccount(20).address);
  });
});
