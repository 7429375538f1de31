/**
 * MQTT transport (MQTT 3.1.1, the protocol such devices speak): an embedded broker (aedes) by
 * default, or any broker by URL (e.g. Mosquitto, `mqtt://host:1883`). Devices publish windows
 * at QoS 1; the edge publishes findings at QoS 1; the fog relay keeps a persistent session
 * (`clean: false`) and acknowledges a message only after it is in its durable queue, so the
 * broker redelivers whatever the relay had not stored when it died, or could not store (see
 * {@link consume}: a bad message is acknowledged and reported, a good one that could not be
 * handled is not).
 *
 * @module
 */
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import type { MqttClient } from "mqtt";
import type { Address } from "viem";
import { BrokerConnectionError, MalformedMessageError, isMessageRefusal } from "./errors.ts";

/** Topic a device publishes its windows to. */
export const windowTopic = (patient: Address, device: Address) =>
  `meridian/ecg/${patient.toLowerCase()}/${device.toLowerCase()}/windows`;
/** Topic filter of every device's windows (the edge subscribes to it). */
export const WINDOW_TOPICS = "meridian/ecg/+/+/windows";
/** Topic the edge publishes findings to. */
export const findingsTopic = (patient: Address) => `meridian/ecg/${patient.toLowerCase()}/findings`;
/** Topic filter of every patient's findings (the fog relay subscribes to it). */
export const FINDINGS_TOPICS = "meridian/ecg/+/findings";

/** An embedded MQTT broker. */
export interface EmbeddedBroker {
  /** `mqtt://<host>:<port>`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts an embedded aedes broker on `port` (0 = any free port) of `host` (default 127.0.0.1),
 * with in-memory persistence: sessions and their queued messages live as long as the broker.
 *
 * @throws What `listen` throws (e.g. `EADDRINUSE`).
 */
export async function startBroker(port = 0, host = "127.0.0.1"): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  try {
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw error;
  }
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://${host.includes(":") ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}

/** Options of {@link connectMqtt}. */
export interface ConnectMqttOptions {
  /** The client id; with `clean: false` the broker keeps this client's session under it. */
  clientId: string;
  /** Start a fresh session (default `true` for {@link connectMqtt}, `false` for {@link consume}). */
  clean?: boolean;
  /** Called on a connection error after the first connection (the client keeps reconnecting); must not throw. */
  onError?: (error: Error) => void;
}

/** Broker connection settings shared by publishers and consumers (MQTT 3.1.1, reconnect every 200 ms). */
const clientOptions = (o: ConnectMqttOptions, clean: boolean) => ({
  clientId: o.clientId,
  clean,
  protocolVersion: 4 as const,
  reconnectPeriod: 200,
  connectTimeout: 10_000,
});

/** Resolves on the client's first connection; ends the client and throws {@link BrokerConnectionError} when that fails. */
async function firstConnection(
  client: MqttClient,
  url: string,
  onError: ((error: Error) => void) | undefined,
): Promise<MqttClient> {
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no answer within 10 s")), 10_000);
      client.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      client.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } catch (cause) {
    await client.endAsync(true);
    throw new BrokerConnectionError(`Cannot connect to the MQTT broker at ${url}.`, {
      cause,
      details: (cause as Error).message,
    });
  }
  // later errors (the broker went away) are reported; the client keeps reconnecting
  client.on("error", (error) => onError?.(error));
  return client;
}

/**
 * Connects an MQTT client (for publishing). `clean: false` with a stable `clientId` keeps the
 * session (and its unacknowledged QoS 1 messages) at the broker across reconnects.
 *
 * @throws {@link BrokerConnectionError} when the first connection fails (refused, no answer in 10 s).
 */
export async function connectMqtt(url: string, options: ConnectMqttOptions): Promise<MqttClient> {
  return firstConnection(mqtt.connect(url, clientOptions(options, options.clean ?? true)), url, options.onError);
}

/** Options of {@link consume}. */
export interface ConsumeOptions extends ConnectMqttOptions {
  /** Topic filter, subscribed at QoS 1. */
  topic: string;
  /** Handles one message (the payload parsed as JSON). Resolving acknowledges the message. */
  handler: (payload: unknown, topic: string) => Promise<void>;
  /**
   * Whether a handler error means the message itself is bad (default
   * {@link isMessageRefusal}: malformed, forged, replayed, unregistered device). A refused
   * message is acknowledged and reported through `onRefused`; any other error leaves it
   * unacknowledged so the broker redelivers it.
   */
  isRefusal?: (error: unknown) => boolean;
  /** Called for each refused message (acknowledged, never redelivered); must not throw. */
  onRefused?: (error: unknown, topic: string) => void;
  /**
   * Called when a good message could not be handled (e.g. the durable queue could not be
   * written): it stays unacknowledged, and after `delayMs` the client drops its connection and
   * reconnects, so the broker redelivers it and everything after it, in order. Must not throw.
   */
  onUnhandled?: (error: unknown, info: { topic: string; attempt: number; delayMs: number }) => void;
  /** Delay before reconnecting after the first failure (milliseconds, default 200); doubles per consecutive failure up to `maxRetryMs`. */
  minRetryMs?: number;
  /** Longest delay before reconnecting (milliseconds, default 5,000). */
  maxRetryMs?: number;
}

/**
 * Connects a consumer to `url` with a persistent session (`clean: false` unless told), hands
 * each message on `topic` to `handler` one at a time, and acknowledges it (PUBACK) only when
 * the handler settles as {@link ConsumeOptions} says: resolved or refused is acknowledged; any
 * other failure is not, and the connection is reset after a backoff so the broker redelivers
 * the message (MQTT redelivers unacknowledged QoS 1 messages of a persistent session when the
 * client reconnects). Messages that arrive behind a failed one on the same connection are not
 * handled either, so the order survives. The handler is installed before the client connects:
 * a restarted consumer handles every message its session kept.
 *
 * While a handler runs the client reads no other packet (not even the PUBACK of its own
 * publish, mqtt.js `handleMessage` back-pressure): a handler that publishes must do it on
 * another connection.
 *
 * @returns The connected, subscribed client (end it with `endAsync()`).
 * @throws {@link BrokerConnectionError} when the first connection fails.
 */
export async function consume(url: string, o: ConsumeOptions): Promise<MqttClient> {
  const client = mqtt.connect(url, clientOptions(o, o.clean ?? false));
  const isRefusal = o.isRefusal ?? isMessageRefusal;
  const min = o.minRetryMs ?? 200,
    max = o.maxRetryMs ?? 5_000;
  let connection = 0; // counts connections; a failure marks the one it happened on
  let broken = -1;
  let failures = 0;
  client.on("connect", () => {
    connection++;
  });
  client.handleMessage = (packet, callback) => {
    const current = connection;
    if (broken === current) {
      callback(new Error("not acknowledged: an earlier message on this connection failed"));
      return;
    }
    const topic = packet.topic;
    let payload: unknown;
    try {
      payload = JSON.parse(packet.payload.toString());
    } catch (cause) {
      o.onRefused?.(
        new MalformedMessageError("The MQTT payload is not JSON.", { cause, details: `topic ${topic}` }),
        topic,
      );
      callback();
      return;
    }
    o.handler(payload, topic).then(
      () => {
        failures = 0;
        callback();
      },
      (error: unknown) => {
        if (isRefusal(error)) {
          o.onRefused?.(error, topic);
          callback();
          return;
        }
        broken = current;
        const delayMs = Math.min(max, min * 2 ** failures++);
        o.onUnhandled?.(error, { topic, attempt: failures, delayMs });
        setTimeout(() => {
          if (connection === current && !client.disconnecting && !client.disconnected) client.stream.destroy();
          callback(error as Error);
        }, delayMs);
      },
    );
  };
  await firstConnection(client, url, o.onError);
  await client.subscribeAsync(o.topic, { qos: 1 });
  return client;
}

/** Publishes `message` as JSON at QoS 1 and resolves when the broker acknowledged it. */
export async function publishJson(client: MqttClient, topic: string, message: unknown): Promise<void> {
  await client.publishAsync(topic, JSON.stringify(message), { qos: 1 });
}
