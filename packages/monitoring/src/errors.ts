/**
 * Errors of the remote-monitoring chain (device → edge → fog → medical server). Each names
 * the hop and what is wrong; none carries samples or other patient data.
 *
 * @module
 */
import { MeridianError } from "@meridian/sdk";
import type { MeridianErrorParameters } from "@meridian/sdk";

/** The hops of the monitoring chain, in order. */
export type Hop = "device" | "edge" | "fog";

/** A message that is not well-formed (missing fields, wrong types, sizes that disagree). */
export class MalformedMessageError extends MeridianError {
  override name = "MalformedMessageError" as const;
  constructor(shortMessage: string, parameters: MeridianErrorParameters = {}) {
    super(shortMessage, {
      hint: "Send messages built by this package's device, edge and fog code, unmodified.",
      ...parameters,
    });
  }
}

/** A hop's EIP-712 signature that does not recover to the address the message names, or signed content that does not match the payload. */
export class ForgedSignatureError extends MeridianError {
  override name = "ForgedSignatureError" as const;
  readonly hop: Hop;
  constructor(hop: Hop, shortMessage: string, parameters: MeridianErrorParameters = {}) {
    super(shortMessage, {
      hint: `Drop the message: the ${hop} did not sign it as delivered (tampered, forged or signed for another chain or contract).`,
      ...parameters,
    });
    this.hop = hop;
  }
}

/** A signer that is not an active device of the patient in that role (never registered, or revoked). */
export class UnregisteredDeviceError extends MeridianError {
  override name = "UnregisteredDeviceError" as const;
  readonly hop: Hop;
  readonly revoked: boolean;
  constructor(hop: Hop, revoked: boolean, shortMessage: string, parameters: MeridianErrorParameters = {}) {
    super(shortMessage, {
      hint: revoked
        ? "The patient revoked this device; windows it signs are refused. Register a new device if it was replaced."
        : `The patient must register this ${hop} on chain first (\`meridian ecg pairing-offer\` on the device, then \`meridian ecg register-device\` or the web app).`,
      ...parameters,
    });
    this.hop = hop;
    this.revoked = revoked;
  }
}

/** A device sequence number that was already used (a replay) or skips ahead (out of order). */
export class SequenceError extends MeridianError {
  override name = "SequenceError" as const;
  readonly expected: number;
  readonly received: number;
  constructor(expected: number, received: number, parameters: MeridianErrorParameters = {}) {
    super(
      received < expected
        ? `Window sequence ${received} was already accepted (replay); expected ${expected}.`
        : `Window sequence ${received} is out of order; expected ${expected}.`,
      {
        hint: "A device numbers its windows 1, 2, 3, … and sends each once, in order; a replayed or reordered window is refused.",
        ...parameters,
      },
    );
    this.expected = expected;
    this.received = received;
  }
}

/**
 * The fog relay could not write a message to its durable queue (disk full, I/O error, database
 * closed). The message was verified and is good, so it is not acknowledged: the broker delivers
 * it again (the transport reconnects its persistent session after a backoff).
 */
export class QueueWriteError extends MeridianError {
  override name = "QueueWriteError" as const;
  constructor(shortMessage: string, parameters: MeridianErrorParameters = {}) {
    super(shortMessage, {
      hint: "Free disk space or fix the queue file's folder; the broker redelivers the unacknowledged message.",
      ...parameters,
    });
  }
}

/** The MQTT broker could not be reached when a role started (refused, unknown host, no answer in 10 s). */
export class BrokerConnectionError extends MeridianError {
  override name = "BrokerConnectionError" as const;
  constructor(shortMessage: string, parameters: MeridianErrorParameters = {}) {
    super(shortMessage, {
      hint: "Start the broker (Mosquitto, or `meridian ecg broker`) or pass the right --mqtt-url.",
      ...parameters,
    });
  }
}

/**
 * Whether `error` says the message itself is bad (malformed, forged, replayed or out of order,
 * or from a device the patient did not register or revoked): such a message is acknowledged and
 * reported, never retried. Any other error is a failure to handle a good message.
 */
export function isMessageRefusal(error: unknown): boolean {
  return (
    error instanceof MalformedMessageError ||
    error instanceof ForgedSignatureError ||
    error instanceof SequenceError ||
    error instanceof UnregisteredDeviceError
  );
}
