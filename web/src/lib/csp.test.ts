/**
 * The Content-Security-Policy lets no injected inline script run: script-src names this origin
 * and a nonce, never 'unsafe-inline' nor 'strict-dynamic' (which would trust inline scripts that
 * a running script inserts); each request gets its own 128-bit nonce; the
 * browser may connect only to this origin and the configured chain RPC. (The browser test
 * `web/e2e/csp.spec.ts` shows Chromium enforcing it on the served pages.)
 *
 * Run: `node --test web/src/lib/csp.test.ts`
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { contentSecurityPolicy, newNonce, NONCE_BYTES } from "./csp.ts";

/** The policy's directives by name. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...values]) => [name!, values]),
  );
}

test("script-src allows only this origin's files and this response's nonce, never inline script", () => {
  const nonce = newNonce();
  const policy = directives(contentSecurityPolicy(nonce, "http://127.0.0.1:8545", false));
  assert.deepEqual(policy.get("script-src"), ["'self'", `'nonce-${nonce}'`]);
  assert.deepEqual(policy.get("script-src-attr"), ["'none'"]);
  for (const [name, values] of policy) {
    if (name.startsWith("script-src") || name === "default-src") {
      assert.ok(!values.includes("'unsafe-inline'") && !values.includes("'unsafe-eval'"), name);
    }
  }
  assert.ok(!policy.get("style-src")!.includes("'unsafe-inline'"), "style elements need the nonce");
  assert.deepEqual(policy.get("object-src"), ["'none'"]);
  assert.deepEqual(policy.get("frame-ancestors"), ["'none'"]);
  // development keeps 'unsafe-eval' for React's tooling, still no inline script
  const dev = directives(contentSecurityPolicy(nonce, "http://127.0.0.1:8545", true));
  assert.ok(!dev.get("script-src")!.includes("'unsafe-inline'"));
});

test("each request gets a fresh 128-bit nonce", () => {
  const nonces = new Set(Array.from({ length: 1000 }, newNonce));
  assert.equal(nonces.size, 1000);
  for (const n of nonces) assert.equal(Buffer.from(n, "base64").length, NONCE_BYTES);
  assert.ok(NONCE_BYTES * 8 >= 128);
});

test("the browser may connect only to this origin and the configured chain RPC", () => {
  const policy = directives(contentSecurityPolicy(newNonce(), "https://rpc.example.org", false));
  assert.deepEqual(policy.get("connect-src"), ["'self'", "https://rpc.example.org"]);
  assert.deepEqual(policy.get("default-src"), ["'self'"]);
});
