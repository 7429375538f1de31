#!/usr/bin/env bash
# `npm test`: every check, in two lanes that run side by side so the suite fits CI's 15 minutes
# on two cores (most package tests wait on chains, nodes and child processes, not the CPU).
#   lane 1 (streamed): typecheck, lint, Solidity tests, contract flows, web unit and browser tests
#   lane 2 (buffered): the package tests (SDK, node, ECG, monitoring, CLI), one file at a time;
#                      their output is printed when they finish, and the run fails if they did.
# Set TEST_LANES=1 to run everything one after the other instead.
set -euo pipefail
cd "$(dirname "$0")/.."

npm run compile --silent

packages() { node --test --test-concurrency=1 'packages/*/src/**/*.test.ts'; }
lane1() {
  # `&&`, not `set -e`: `set -e` does not apply inside a function called as `lane1 || …`
  npm run typecheck && npm run lint && npx hardhat test solidity && npm run test:flows && npm run test:web
}

if [ "${TEST_LANES:-2}" = 1 ]; then
  lane1 && packages
  exit $?
fi

log="$(mktemp -t meridian-package-tests.XXXXXX)"
packages >"$log" 2>&1 &
pid=$!
stop() { kill "$pid" 2>/dev/null || true; rm -f "$log"; }
trap stop INT TERM

status=0
lane1 || status=$?
echo "test: waiting for the package tests (lane 2)…" >&2
package_status=0
wait "$pid" || package_status=$?
cat "$log"
rm -f "$log"
if [ "$package_status" != 0 ]; then
  echo "test: the package tests failed (exit $package_status); their output is above" >&2
  exit "$package_status"
fi
exit "$status"
