/**
 * Device pairing: how a device's key reaches its patient's wallet. The device (which holds its
 * own key) makes a pairing offer — its address, role and an EIP-712 signature over
 * `DeviceBinding` ({@link deviceBindingTypedData}) for one patient — as a short JSON text the
 * patient pastes (or scans) into their wallet app; the patient's wallet then sends
 * `registerDevice`. The offer holds no secret. {@link parseDevicePairingOffer} checks everything
 * the contract would (network, contract, patient, deadline, signature) before any gas is spent.
 *
 * @module
 */
import { isAddress, isAddressEqual, isHex, verifyTypedData, type Address, type Hex, type LocalAccount } from "viem";
import { MeridianError } from "../errors.ts";
import { DeviceRole, deviceBindingTypedData, type DeviceRoleCode } from "./monitoring.ts";
import type { MeridianDeployment } from "./types.ts";

/** The `type` field of a pairing offer (version 1). */
export const DEVICE_PAIRING_TYPE = "meridian-device-binding/1";

/** A device's pairing offer (JSON). `deadline` in Unix seconds. */
export interface DevicePairingOffer {
  type: typeof DEVICE_PAIRING_TYPE;
  chainId: number;
  monitoringRegistry: Address;
  patient: Address;
  device: Address;
  role: DeviceRoleCode;
  deadline: number;
  /** The device's EIP-712 signature over the `DeviceBinding` (65 bytes, hex). */
  signature: Hex;
}

/** A pairing offer that cannot be used: malformed, for another patient or network, expired, or not signed by the device. */
export class DevicePairingError extends MeridianError {
  override name = "DevicePairingError" as const;
}

/**
 * Makes a pairing offer signed by `device` for `patient` (see the module documentation).
 *
 * @param o.validForSeconds - How long the offer stays usable (seconds, default 86,400).
 */
export async function createDevicePairingOffer(
  deployment: Pick<MeridianDeployment, "chainId" | "monitoringRegistry">,
  device: LocalAccount,
  o: { patient: Address; role: DeviceRoleCode; validForSeconds?: number; now?: number },
): Promise<DevicePairingOffer> {
  const deadline = Math.floor((o.now ?? Date.now()) / 1000) + (o.validForSeconds ?? 86_400);
  const signature = await device.signTypedData(
    deviceBindingTypedData(deployment, { patient: o.patient, device: device.address, role: o.role, deadline }),
  );
  return {
    type: DEVICE_PAIRING_TYPE,
    chainId: deployment.chainId,
    monitoringRegistry: deployment.monitoringRegistry,
    patient: o.patient,
    device: device.address,
    role: o.role,
    deadline,
    signature,
  };
}

/**
 * Parses and checks a pairing offer for `patient` on `deployment`: JSON shape, network and
 * contract, patient, role, deadline (against `now`, ms since the epoch, default the clock) and
 * the device's EIP-712 signature (an EOA's; a contract device's ERC-1271 signature is checked
 * by the contract instead).
 *
 * @throws {@link DevicePairingError} naming what is wrong and what to do.
 */
export async function parseDevicePairingOffer(
  text: string,
  expect: { deployment: Pick<MeridianDeployment, "chainId" | "monitoringRegistry">; patient: Address; now?: number },
): Promise<DevicePairingOffer> {
  let o: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    o = parsed as Record<string, unknown>;
  } catch {
    throw new DevicePairingError("This is not a device pairing offer (not JSON).", {
      hint: "Copy the whole text the device shows on its pairing screen.",
    });
  }
  if (o.type !== DEVICE_PAIRING_TYPE)
    throw new DevicePairingError(`This is not a device pairing offer (type "${String(o.type)}").`, {
      hint: `Expected type "${DEVICE_PAIRING_TYPE}".`,
    });
  const { chainId, monitoringRegistry, patient, device, role, deadline, signature } = o;
  if (
    typeof chainId !== "number" ||
    typeof monitoringRegistry !== "string" ||
    !isAddress(monitoringRegistry) ||
    typeof patient !== "string" ||
    !isAddress(patient) ||
    typeof device !== "string" ||
    !isAddress(device) ||
    typeof deadline !== "number" ||
    !Number.isInteger(deadline) ||
    typeof signature !== "string" ||
    !isHex(signature)
  ) {
    throw new DevicePairingError("The pairing offer is incomplete or malformed.", {
      hint: "Ask the device for a new pairing offer.",
    });
  }
  const roles: number[] = Object.values(DeviceRole);
  if (typeof role !== "number" || !roles.includes(role))
    throw new DevicePairingError(
      `The pairing offer names role ${String(role)}, not a sensor (1), edge device (2) or fog relay (3).`,
    );
  if (
    chainId !== expect.deployment.chainId ||
    !isAddressEqual(monitoringRegistry, expect.deployment.monitoringRegistry)
  ) {
    throw new DevicePairingError("The device was paired for another network or deployment.", {
      details: `offer chain ${chainId} ${monitoringRegistry}, here chain ${expect.deployment.chainId} ${expect.deployment.monitoringRegistry}`,
      hint: "Configure the device for this network and pair again.",
    });
  }
  if (!isAddressEqual(patient, expect.patient))
    throw new DevicePairingError("This pairing offer is for another patient account.", {
      hint: "Pair the device with the account you are connected as.",
    });
  if (deadline * 1000 < (expect.now ?? Date.now()))
    throw new DevicePairingError("This pairing offer has expired.", {
      details: `deadline ${new Date(deadline * 1000).toISOString()}`,
      hint: "Ask the device for a new one.",
    });
  const ok = await verifyTypedData({
    address: device,
    ...deviceBindingTypedData(expect.deployment, {
      patient: patient,
      device: device,
      role: role as DeviceRoleCode,
      deadline,
    }),
    signature: signature,
  }).catch(() => false);
  if (!ok)
    throw new DevicePairingError("The pairing offer is not signed by the device it names.", {
      hint: "It was altered or made by another device: ask the device for a new one.",
    });
  return {
    type: DEVICE_PAIRING_TYPE,
    chainId,
    monitoringRegistry: monitoringRegistry,
    patient: patient,
    device: device,
    role: role as DeviceRoleCode,
    deadline,
    signature: signature,
  };
}
