/**
 * Errors raised by Meridian's cryptography (key derivation, HPKE key wrapping and record
 * envelopes). Messages never contain key bytes, signatures' secret-derived values or
 * plaintext: only lengths, versions and the kind of failure.
 *
 * @module
 */

import { MeridianError } from "../errors.ts";
import type { MeridianErrorParameters } from "../errors.ts";

/** A wallet signature that cannot be used to derive keys (wrong length, not hex, bad `v`). */
export class InvalidSignatureError extends MeridianError {
  override name = "InvalidSignatureError" as const;
  constructor(shortMessage: string, parameters: MeridianErrorParameters = {}) {
    super(shortMessage, {
      hint: "Sign the Meridian key-derivation request (EIP-712) with an ordinary externally owned account and pass the 65-byte signature unchanged; smart-contract wallets cannot derive Meridian keys.",
      ...parameters,
    });
  }
}

/** A public key that is not a 32-byte X25519 key (or is the all-zero "not registered" value). */
export class InvalidPublicKeyError extends MeridianError {
  override name = "InvalidPublicKeyError" as const;
  constructor(shortMessage: string, parameters: MeridianErrorParameters = {}) {
    super(shortMessage, {
      hint: "Use the 32-byte encryption public key the account registered with Meridian; an all-zero value means the account has not registered one yet.",
      ...parameters,
    });
  }
}

/** Key material (root secret, KEK, DEK) of the wrong length. */
export class InvalidKeyLengthError extends MeridianError {
  override name = "InvalidKeyLengthError" as const;
  constructor(what: string, actual: number, expected: number, parameters: MeridianErrorParameters = {}) {
    super(`${what} is ${actual} bytes; expected ${expected} bytes.`, {
      hint: `Pass the ${expected}-byte key exactly as Meridian derived or unwrapped it (not hex text, not truncated).`,
      ...parameters,
    });
  }
}

/** A context field (chain id, address, epoch, category, scope, target) that is out of range. */
export class InvalidContextError extends MeridianError {
  override name = "InvalidContextError" as const;
  constructor(shortMessage: string, parameters: MeridianErrorParameters = {}) {
    super(shortMessage, {
      hint: "Check the chain id, contract and account addresses, category, key epoch and target passed to the SDK.",
      ...parameters,
    });
  }
}

/**
 * An HPKE-wrapped key could not be opened: it was wrapped to another account, for another
 * record or grant (different `info`), or its bytes were changed.
 * {@link WrappedKeyFormatError} (wrong length) is a subclass, so `instanceof KeyUnwrapError`
 * catches both.
 */
export class KeyUnwrapError extends MeridianError {
  override name: "KeyUnwrapError" | "WrappedKeyFormatError" = "KeyUnwrapError";
  constructor(
    shortMessage = "The wrapped key could not be unwrapped with this account's key.",
    parameters: MeridianErrorParameters = {},
  ) {
    super(shortMessage, {
      hint: "The key was not wrapped to this account or not for this record/grant; ask the patient to grant access again.",
      ...parameters,
    });
  }
}

/** An HPKE-wrapped key of a length `wrapKey` never makes (`WRAPPED_KEY_LENGTHS`); see {@link KeyUnwrapError}. */
export class WrappedKeyFormatError extends KeyUnwrapError {
  override name = "WrappedKeyFormatError" as const;
  constructor(actual: number, expected: number | readonly number[], parameters: MeridianErrorParameters = {}) {
    const lengths = typeof expected === "number" ? `${expected}` : `one of ${expected.join(", ")}`;
    super(`Wrapped key is ${actual} bytes; expected ${lengths} bytes (32-byte HPKE enc + sealed key + 16-byte tag).`, {
      hint: "Pass the wrapped key exactly as stored on chain; if it came from the chain, ask the patient to grant access again.",
      ...parameters,
    });
  }
}

/**
 * Bytes that are not a Meridian record envelope (bad magic, unknown version or flags, truncated).
 * {@link EnvelopeVersionError} (a version this SDK does not read) is a subclass, so
 * `instanceof EnvelopeFormatError` catches both.
 */
export class EnvelopeFormatError extends MeridianError {
  override name: "EnvelopeFormatError" | "EnvelopeVersionError" = "EnvelopeFormatError";
  constructor(shortMessage: string, parameters: MeridianErrorParameters = {}) {
    super(shortMessage, {
      hint: "Check that the CID points at a Meridian record envelope and that the download was complete; a newer envelope version needs a newer SDK.",
      ...parameters,
    });
  }
}

/**
 * A record envelope of a version this SDK does not read: an older one (1 or 2, written by a
 * pre-release Meridian without a key commitment) or a newer one. `version` is the envelope's
 * version byte (byte 4).
 */
export class EnvelopeVersionError extends EnvelopeFormatError {
  override name = "EnvelopeVersionError" as const;
  /** The version byte found in the envelope. */
  readonly version: number;
  constructor(version: number, supported: number, parameters: MeridianErrorParameters = {}) {
    const older = version < supported;
    super(
      older
        ? `This record envelope is version ${version}, written by an older Meridian; this SDK reads only ` +
            `version ${supported}, whose header commits to the record's key.`
        : `This record envelope is version ${version}; this SDK reads only version ${supported}.`,
      {
        hint: older
          ? "Records from a pre-release Meridian cannot be opened any more: " +
            "import the record again from its source file (`meridian add FILE`)."
          : "Update the Meridian SDK (or CLI, or web app) to a version that reads it.",
        ...parameters,
      },
    );
    this.version = version;
  }
}

/**
 * An envelope failed authentication: wrong KEK or DEK, wrong context (patient, category,
 * epoch, chain or contract), or changed bytes. No plaintext is ever returned in that case.
 * {@link KeyCommitmentError} (a key that is not the one the envelope commits to) is a subclass,
 * so `instanceof DecryptionError` catches both.
 */
export class DecryptionError extends MeridianError {
  override name: "DecryptionError" | "KeyCommitmentError" = "DecryptionError";
  constructor(
    shortMessage = "The record could not be decrypted: wrong key, wrong context or altered bytes.",
    parameters: MeridianErrorParameters = {},
  ) {
    super(shortMessage, {
      hint: "Make sure the key matches the record's category and key epoch and the record belongs to this patient; if the bytes were altered, fetch the record again from another source.",
      ...parameters,
    });
  }
}

/**
 * The data key in hand (unwrapped with the KEK, or received as a DEK through a one-record grant,
 * a validation share or an emergency release) is not the key the envelope's header commits to.
 * Raised before anything is decrypted, so no plaintext is returned. AES-GCM alone would let one
 * ciphertext authenticate under two keys and show two readers two different records; the key
 * commitment (see `envelope.ts`) makes the envelope open under one key only.
 */
export class KeyCommitmentError extends DecryptionError {
  override name = "KeyCommitmentError" as const;
  constructor(
    shortMessage = "The key does not match the record's key commitment: it is not the key this record was sealed with.",
    parameters: MeridianErrorParameters = {},
  ) {
    super(shortMessage, {
      hint:
        "Nothing was decrypted. The key you were given (grant, validation share or emergency release) or the " +
        "envelope's header is not the record's own: ask the patient or the record's author to share the record " +
        "again, and report the record if this persists.",
      ...parameters,
    });
  }
}
