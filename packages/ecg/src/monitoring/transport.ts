/**
 * MQTT transport (MQTT 3.1.1, the protocol such devices speak): an embedded broker (aedes) by
 * default, or any broker by URL (e.g. Mosquitto, `mqtt://host:1883`). Devices publish windows
 * at QoS 1; the edge publishes findings at QoS 1; the fog relay keeps a persistent session
 * (`clean: false`) and acknowledges a message only after it is in its durable queue, so the
 * broker redelivers whatever the relay had not stored when it died.
 *
 * @module
 */
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import type { MqttClient } from "mqtt";
import type { Address } from "viem";

/** Topic a device publishes its windows to. */
export const windowTopic = (patient: Address, device: Address) => `meridian/ecg/${patient.toLowerCase()}/${device.toLowerCase()}/windows`;
/** Topic filter of every device's windows (the edge subscribes to it). */
export const WINDOW_TOPICS = "meridian/ecg/+/+/windows";
/** Topic the edge publishes findings to. */
export const findingsTopic = (patient: Address) => `meridian/ecg/${patient.toLowerCase()}/findings`;
/** Topic filter of every patient's findings (the fog relay subscribes to it). */
export const FINDINGS_TOPICS = "meridian/ecg/+/findings";

/** An embedded MQTT broker on 127.0.0.1. */
export interface EmbeddedBroker {
  /** `mqtt://127.0.0.1:<port>`. */
  url: string;
  close(): Promise<void>;
}

/** Starts an embedded aedes broker on `port` (0 = any free port) of 127.0.0.1, with in-memory persistence. */
export async function startBroker(port = 0): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${bound}`,
    close: () => new Promise<void>((resolve) => { broker.close(() => server.close(() => resolve())); }),
  };
}

/**
 * Connects an MQTT client. `clean: false` with a stable `clientId` keeps the session (and its
 * unacknowledged QoS 1 messages) at the broker across reconnects.
 */
export async function connectMqtt(url: string, options: { clientId: string; clean?: boolean }): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: options.clientId, clean: options.clean ?? true, protocolVersion: 4, reconnectPeriod: 200, connectTimeout: 10_000 });
}

/**
 * Subscribes `client` to `topic` at QoS 1 and hands each message to `handler`; the PUBACK is
 * sent only when `handler` settles (mqtt.js `handleMessage` back-pressure), one message at a
 * time. While a handler runs the client reads no other packet (not even the PUBACK of its own
 * publish): a handler that publishes must do it on another connection. A handler that throws has refused the message: it is acknowledged (so it is not
 * redelivered forever) and reported through `onRefused`.
 */
export async function consume(client: MqttClient, topic: string, handler: (payload: unknown, topic: string) => Promise<void>, onRefused?: (error: unknown, topic: string) => void): Promise<void> {
  client.handleMessage = (packet, callback) => {
    const topicName = packet.cmd === "publish" ? packet.topic : "";
    const payload = packet.cmd === "publish" ? packet.payload : "";
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString());
    } catch (error) {
      onRefused?.(error, topicName);
      callback();
      return;
    }
    handler(parsed, topicName).then(() => callback(), (error: unknown) => { onRefused?.(error, topicName); callback(); });
  };
  await client.subscribeAsync(topic, { qos: 1 });
}

/** Publishes `message` as JSON at QoS 1 and resolves when the broker acknowledged it. */
export async function publishJson(client: MqttClient, topic: string, message: unknown): Promise<void> {
  await client.publishAsync(topic, JSON.stringify(message), { qos: 1 });
}
