/**
 * The Content-Security-Policy keeps injected script from running (audit issue 14, item 8): every
 * page is served with a fresh nonce that Next puts on its own scripts, and `script-src` has no
 * `'unsafe-inline'`. Injected here, as an attacker with an HTML or DOM injection would: a
 * `<script>` element created in the page, an `<img onerror>` and a `javascript:` link set through
 * `innerHTML`, and `<script>` tags (one with a guessed nonce) written into the served HTML itself.
 * None runs (a global flag stays unset) and each fires a `securitypolicyviolation` event, while
 * the app itself loads, hydrates and signs in with no violation at all.
 */
import { expect, test, type Page } from "@playwright/test";
import { injectWallet } from "./wallet.ts";

test.describe.configure({ mode: "serial" });

/** A dev account no other spec uses; it only reads and signs here (no transaction, no funds needed). */
const VISITOR = 20;
const ROUTES = ["/", "/patient", "/provider", "/guardian", "/regulator", "/metrics", "/monitoring", "/validation"];

type Violation = { directive: string; blocked: string; sample: string };
type Probe = { violations: Violation[]; injected: Record<string, boolean> };

/** Records every CSP violation in `window.__csp` from the first byte of every document. */
async function watchViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const probe: Probe = { violations: [], injected: {} };
    (window as unknown as { __csp: Probe }).__csp = probe;
    document.addEventListener("securitypolicyviolation", (e) => {
      probe.violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample });
    });
  });
}

const probe = (page: Page) => page.evaluate(() => (window as unknown as { __csp: Probe }).__csp);

test("each page gets its own nonce on every script, and script-src has no 'unsafe-inline'", async ({ request }) => {
  const nonces = new Set<string>();
  for (const route of ROUTES) {
    const response = await request.get(route);
    expect(response.ok()).toBe(true);
    const csp = response.headers()["content-security-policy"] ?? "";
    const scriptSrc = csp
      .split(";")
      .map((d) => d.trim())
      .find((d) => d.startsWith("script-src "));
    expect(scriptSrc).toMatch(/^script-src 'self' 'nonce-[A-Za-z0-9+/]{22}=='$/);
    const nonce = /'nonce-([^']+)'/.exec(scriptSrc!)![1]!;
    nonces.add(nonce);
    const html = await response.text();
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag, route).toContain(`nonce="${nonce}"`);
  }
  expect(nonces.size).toBe(ROUTES.length);
});

test("the app loads, hydrates and signs in on every page with no CSP violation", async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await watchViolations(page);
  await injectWallet(page, VISITOR);
  for (const route of ROUTES) {
    await page.goto(route);
    // only hydrated React answers the click: the nonce let Next's scripts run
    await page
      .getByRole("button", { name: /Connect Meridian Test Wallet|Disconnect/ })
      .first()
      .waitFor();
    expect((await probe(page)).violations, route).toEqual([]);
  }
  await page.goto("/patient");
  await page.getByRole("button", { name: /Connect Meridian Test Wallet/ }).click();
  await page.getByRole("button", { name: "Sign to create my key" }).click();
  await expect(page.getByRole("button", { name: "Register" })).toBeVisible();
  expect((await probe(page)).violations).toEqual([]);
});

test("an inline script injected into the page does not run: the CSP blocks it and reports it", async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await watchViolations(page);
  await injectWallet(page, VISITOR);
  await page.goto("/patient");
  await expect(page.getByRole("button", { name: /Connect Meridian Test Wallet/ })).toBeVisible();

  // 1. a <script> element with inline text, created and inserted by DOM manipulation
  await page.evaluate(() => {
    const s = document.createElement("script");
    s.textContent = "window.__csp.injected.element = true";
    document.body.append(s);
  });
  // 2. an event-handler attribute and 3. a javascript: URL, through innerHTML
  await page.evaluate(() => {
    const div = document.createElement("div");
    div.innerHTML =
      '<img src="/no-such-image.png" onerror="window.__csp.injected.onerror = true">' +
      '<a id="xss-link" href="javascript:window.__csp.injected.javascriptUrl = true">x</a>';
    document.body.append(div);
  });
  await page.locator("#xss-link").click();
  await expect.poll(async () => (await probe(page)).violations.length).toBeGreaterThanOrEqual(3);
  const { violations, injected } = await probe(page);
  expect(injected).toEqual({});
  const directives = violations.map((v) => v.directive);
  expect(directives).toContain("script-src-elem");
  expect(directives).toContain("script-src-attr");
  expect(violations.every((v) => v.blocked === "inline")).toBe(true);
});

test("a <script> written into the served HTML does not run, even with a guessed nonce", async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await watchViolations(page);
  await injectWallet(page, VISITOR);
  // a stored-XSS stand-in: the real server's response, headers (and CSP) untouched, body tampered
  await page.route("**/provider", async (route) => {
    const response = await route.fetch();
    const injected =
      "<script>window.__csp.injected.served = true</script>" +
      '<script nonce="AAAAAAAAAAAAAAAAAAAAAA==">window.__csp.injected.guessedNonce = true</script>';
    await route.fulfill({ response, body: (await response.text()).replace(/<body([^>]*)>/, `<body$1>${injected}`) });
  });
  await page.goto("/provider");
  await page.getByRole("button", { name: /Connect Meridian Test Wallet/ }).click();
  await expect(page.getByRole("button", { name: "Sign to create my key" })).toBeVisible();
  const { violations, injected } = await probe(page);
  expect(injected).toEqual({});
  expect(violations.filter((v) => v.directive === "script-src-elem" && v.blocked === "inline").length).toBe(2);
});
