/**
 * The app's Content-Security-Policy (CSP Level 3), built per request by `src/proxy.ts`.
 *
 * @module
 */

/** Bytes of randomness in each request's CSP nonce: 128 bits, the least CSP Level 3 asks for. */
export const NONCE_BYTES = 16;

/** A fresh, unpredictable nonce: {@link NONCE_BYTES} random bytes from the platform CSPRNG, base64. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  return btoa(String.fromCharCode(...bytes));
}

/**
 * The Content-Security-Policy of one response (CSP Level 3), for the chain RPC origin the
 * browser may reach and this request's nonce.
 *
 * - Scripts: only this origin's script files and inline scripts carrying this response's nonce
 *   (Next puts it on its own). No `'unsafe-inline'`: an inline `<script>`, an `on…=` attribute
 *   or a `javascript:` URL injected into the page does not run, whether it comes in the served
 *   HTML or is created later in the DOM. No `'strict-dynamic'` either (Next's documented
 *   example has it): it trusts every script a running script inserts, inline ones included
 *   (Chromium ran a `<script>` created with `document.createElement` and given text), and this
 *   app loads no third-party script that would need it; Next's chunks load from this origin.
 *   This origin serves nothing else executable (blobs are `application/octet-stream`, JSON is
 *   JSON, all with `X-Content-Type-Options: nosniff`). `'unsafe-eval'` in development only
 *   (React's dev tooling).
 * - Styles: `<style>` and `<link>` elements from this origin or with the nonce; style
 *   *attributes* stay allowed (`style-src-attr 'unsafe-inline'`) because React renders
 *   `style={…}` props (charts, layout) as attributes, which no nonce can cover. A style
 *   attribute cannot run script.
 * - Network: this origin and the chain RPC only; no plugins, no framing, no `<base>` elsewhere,
 *   forms only to this origin.
 */
export function contentSecurityPolicy(nonce: string, rpcOrigin: string, dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'${dev ? " 'unsafe-eval'" : ""}`,
    "script-src-attr 'none'",
    `style-src 'self' ${dev ? "'unsafe-inline'" : `'nonce-${nonce}'`}`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ${rpcOrigin}${dev ? " ws:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}
