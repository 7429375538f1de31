/**
 * A governed network through the `meridian` CLI against a real `hardhat node`: `deploy --council`
 * puts a MeridianTimelock in the regulator's seat; the council schedules an admission, cannot run
 * it early, runs it after the delay, and suspends at once without the timelock.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { devAddress as addr, startCliHarness, type CliHarness } from "./testing/harness.ts";

const DEPLOYER = 0,
  COUNCIL = 1,
  HOSPITAL = 2;
let h: CliHarness;

before(async () => {
  h = await startCliHarness("governance-cli");
});

after(async () => {
  await h?.close();
});

/** The hospital's provider status as `provider show` prints it ("active", "suspended", ...). */
async function hospitalStatus(): Promise<string> {
  const shown = await h.cli(undefined, "provider", "show", addr(HOSPITAL));
  return (JSON.parse(shown.stdout) as { status: string }).status;
}

async function increaseTime(seconds: number): Promise<void> {
  for (const body of [
    { method: "evm_increaseTime", params: [seconds] },
    { method: "evm_mine", params: [] },
  ]) {
    const response = await fetch(h.rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, ...body }),
    });
    assert.equal(response.status, 200);
  }
}

test(
  "deploy --council: admissions wait out the timelock's delay; the council suspends at once",
  { timeout: 180_000 },
  async () => {
    const deployed = await h.cli(DEPLOYER, "deploy", "--council", addr(COUNCIL), "--min-delay", "600");
    assert.equal(deployed.code, 0, deployed.stderr);
    const { timelock } = JSON.parse(deployed.stdout) as { timelock: string };
    assert.match(timelock, /^0x[0-9a-fA-F]{40}$/);
    const admit = ["provider", "admit", addr(HOSPITAL), "--kind", "hospital", "--name", "St Mary's"];

    const direct = await h.cli(COUNCIL, ...admit);
    assert.equal(direct.code, 1);
    assert.match(direct.stderr, /schedule it through the timelock/);
    assert.match(
      (await h.cli(DEPLOYER, ...admit)).stderr,
      /AccessControlUnauthorizedAccount/,
      "the deployer kept no role",
    );

    const scheduled = await h.cli(COUNCIL, ...admit, "--timelock", timelock);
    assert.equal(scheduled.code, 0, scheduled.stderr);
    assert.match(scheduled.stderr, /run the same command with --execute after/);
    const early = await h.cli(COUNCIL, ...admit, "--timelock", timelock, "--execute");
    assert.equal(early.code, 1);
    assert.match(early.stderr, /still in the timelock's delay/);

    await increaseTime(600);
    const executed = await h.cli(COUNCIL, ...admit, "--timelock", timelock, "--execute");
    assert.equal(executed.code, 0, executed.stderr);
    assert.equal(await hospitalStatus(), "active");

    assert.equal((await h.cli(COUNCIL, "provider", "suspend", addr(HOSPITAL))).code, 0, "suspension needs no delay");
    assert.equal(await hospitalStatus(), "suspended");
    const reinstate = await h.cli(COUNCIL, "provider", "reinstate", addr(HOSPITAL));
    assert.equal(reinstate.code, 1, "reinstatement goes through the timelock");
  },
);
