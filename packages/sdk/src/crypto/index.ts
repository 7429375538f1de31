/**
 * Meridian cryptography: key derivation from an EIP-712 signature, HPKE (RFC 9180) key
 * wrapping for grants, and AES-256-GCM record envelopes.
 *
 * @module
 */

export * from "./errors.ts";
export * from "./keys.ts";
export * from "./hpke.ts";
export * from "./envelope.ts";
export * from "./ciphertext-hash.ts";
