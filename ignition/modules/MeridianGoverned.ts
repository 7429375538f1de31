import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { deployRecordRegistries } from "../lib/registries.ts";

/** Two days in seconds: the default delay of every timelocked membership change. */
export const DEFAULT_MIN_DELAY = 2 * 24 * 60 * 60;

/**
 * Deploys a governed Meridian network (docs/governance.md):
 *
 * - `MeridianTimelock`: OpenZeppelin's TimelockController with no admin. The council is its
 *   only proposer, canceller and executor.
 * - `ProviderRegistry` with the timelock as `DEFAULT_ADMIN_ROLE` and `REGULATOR_ROLE`, so every
 *   admission, reinstatement, removal and role change waits out `minDelay`; the council holds
 *   `SUSPENDER_ROLE` and suspends a provider at once.
 * - `RecordRegistry` and `MonitoringRegistry`, as in `Meridian.ts`.
 *
 * The deployer is the registry's admin for the three transactions that grant the timelock the
 * admin role and the council the suspender role, then renounces it (the renounce runs only after
 * both grants). It ends with no role in any contract; `test/flows/governance/timelock.test.ts`
 * checks it.
 *
 * Parameters (`--parameters ignition/parameters/<network>.json`):
 * - `council` (required): the council's multisig (a Safe) address.
 * - `minDelay`: the timelock's delay in seconds; default {@link DEFAULT_MIN_DELAY} (2 days).
 */
export default buildModule("MeridianGoverned", (m) => {
  const deployer = m.getAccount(0);
  const council = m.getParameter<string>("council");
  const minDelay = m.getParameter<number>("minDelay", DEFAULT_MIN_DELAY);

  const timelock = m.contract("MeridianTimelock", [minDelay, [council], [council]]);

  const providerRegistry = m.contract("ProviderRegistry", [deployer, timelock]);
  const adminRole = m.staticCall(providerRegistry, "DEFAULT_ADMIN_ROLE", [], 0, { id: "DEFAULT_ADMIN_ROLE" });
  const suspenderRole = m.staticCall(providerRegistry, "SUSPENDER_ROLE", [], 0, { id: "SUSPENDER_ROLE" });
  const grantAdmin = m.call(providerRegistry, "grantRole", [adminRole, timelock], {
    id: "GrantAdminToTimelock",
    from: deployer,
  });
  const grantSuspender = m.call(providerRegistry, "grantRole", [suspenderRole, council], {
    id: "GrantSuspenderToCouncil",
    from: deployer,
  });
  m.call(providerRegistry, "renounceRole", [adminRole, deployer], {
    id: "RenounceDeployerAdmin",
    from: deployer,
    after: [grantAdmin, grantSuspender],
  });

  return { timelock, providerRegistry, ...deployRecordRegistries(m, providerRegistry) };
});
