/**
 * The options of the ECG role commands (`meridian ecg broker | server | fog | edge | device` and
 * `ecg run --processes`), parsed and checked before anything starts, and the roles' log lines.
 * Light on purpose: `main.ts` loads it for every command; the roles themselves are in
 * `ecg-roles.ts`.
 *
 * Log lines (one per {@link MonitoringEvent}, on stderr): text for people,
 * `2026-11-21T10:00:00.000Z fog queued seq=3 digest=0x…`, or with `--log-format json` one
 * object per line, `{"time":"…","role":"fog","event":"queued","seq":3,"digest":"0x…"}`, for a
 * supervisor or log collector (and for `ecg run --processes`, which reads its children's).
 *
 * @module
 */
import { zeroAddress } from "viem";
import type { EventSink, MonitoringEvent, MonitoringDomain } from "@meridian/monitoring";
import type { MeridianDeployment } from "@meridian/sdk/chain";
import { ConfigurationError, loadDeployment } from "./env.ts";

/** How role processes write their events: `text` for people, `json` (one object per line) for programs. */
export type LogFormat = "text" | "json";

/** Default broker: `MERIDIAN_MQTT_URL`, else a broker on this machine's port 1883. */
export const DEFAULT_MQTT_URL = process.env.MERIDIAN_MQTT_URL ?? "mqtt://127.0.0.1:1883";
/** Default port of the medical server's HTTP endpoint. */
export const DEFAULT_SERVER_PORT = 8600;

/**
 * An {@link EventSink} that writes each event as one line (see the module documentation).
 *
 * @param write - Where lines go (default stderr).
 */
export function eventLogger(
  format: LogFormat,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): EventSink {
  return (event) => {
    const time = new Date().toISOString();
    if (format === "json") return write(JSON.stringify({ time, ...event }));
    const { role, event: name, ...fields } = event as MonitoringEvent & Record<string, unknown>;
    const text = Object.entries(fields).map(
      ([k, v]) => `${k}=${typeof v === "string" && !/\s|"/.test(v) ? v : JSON.stringify(v)}`,
    );
    write([time, role, name, ...text].join(" "));
  };
}

/** Parses `--log-format`. @throws {ConfigurationError} */
export function logFormat(value: string): LogFormat {
  if (value !== "text" && value !== "json")
    throw new ConfigurationError(`--log-format is "text" or "json", not "${value}".`);
  return value;
}

/** `value` as a URL whose scheme is one of `protocols`. @throws {ConfigurationError} naming `flag`, with `hint`. */
function urlOption(value: string, flag: string, protocols: string[], hint: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || !protocols.includes(url.protocol) || !url.hostname) {
    const schemes = protocols.map((p) => p.slice(0, -1));
    throw new ConfigurationError(
      `${flag} "${value}" is not a URL with scheme ${schemes.slice(0, -1).join(", ")} or ${schemes.at(-1)}.`,
      { hint },
    );
  }
  return url;
}

/** Parses a broker URL (`mqtt:`, `mqtts:`, `tcp:`, `ssl:`, `ws:` or `wss:`, with a host). @throws {ConfigurationError} */
export function mqttUrl(value: string): string {
  urlOption(
    value,
    "--mqtt-url",
    ["mqtt:", "mqtts:", "tcp:", "ssl:", "ws:", "wss:"],
    "Use e.g. mqtt://127.0.0.1:1883 (Mosquitto, or `meridian ecg broker`).",
  );
  return value;
}

/** Parses the medical server's URL (http or https); a URL without a path gets `/ecg/forwards`. @throws {ConfigurationError} */
export function serverUrl(value: string): string {
  const url = urlOption(
    value,
    "--server-url",
    ["http:", "https:"],
    `Use e.g. http://127.0.0.1:${DEFAULT_SERVER_PORT}/ecg/forwards.`,
  );
  if (url.pathname === "/") url.pathname = "/ecg/forwards";
  return url.toString();
}

/**
 * Parses a number option: a finite number above 0, or at least `o.min` when given.
 *
 * @param o.integer - Whole numbers only.
 * @param o.min - Smallest value allowed (inclusive).
 * @param o.max - Whether `max` (as fast as possible: `Infinity`) is allowed.
 * @throws {ConfigurationError}
 */
export function numberOption(
  value: string,
  flag: string,
  o: { integer?: boolean; min?: number; max?: boolean } = {},
): number {
  if (o.max && value === "max") return Infinity;
  const n = Number(value);
  const ok =
    value.trim() !== "" &&
    Number.isFinite(n) &&
    (!o.integer || Number.isInteger(n)) &&
    (o.min === undefined ? n > 0 : n >= o.min);
  const what = `${o.integer ? "a whole number" : "a number"} ${o.min === undefined ? "above 0" : `of at least ${o.min}`}${o.max ? " (or max)" : ""}`;
  if (!ok) throw new ConfigurationError(`${flag} must be ${what}, not "${value}".`);
  return n;
}

/**
 * The monitoring domain of a deployment: its chain id and `MonitoringRegistry` address.
 *
 * @param source - Where the deployment came from, for the error message.
 * @throws {ConfigurationError} when the deployment has no `MonitoringRegistry` (written before it existed).
 */
export function monitoringDomainOfDeployment(deployment: MeridianDeployment, source: string): MonitoringDomain {
  if (deployment.monitoringRegistry === zeroAddress)
    throw new ConfigurationError(`The deployment ${source} has no MonitoringRegistry.`, {
      hint: "Deploy the contracts again with this version (`meridian deploy`).",
    });
  return { chainId: deployment.chainId, monitoringRegistry: deployment.monitoringRegistry };
}

/**
 * The monitoring domain of a deployment file (see {@link monitoringDomainOfDeployment}).
 *
 * @throws {ConfigurationError} when the file is missing or invalid, or has no `MonitoringRegistry`.
 */
export async function monitoringDomainOf(file: string): Promise<MonitoringDomain> {
  return monitoringDomainOfDeployment(await loadDeployment(file), file);
}
