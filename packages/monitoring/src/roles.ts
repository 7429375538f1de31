/**
 * The four roles of the monitoring chain as start functions, each owning its connections and
 * state, so that one process can run all of them ({@link runMonitoring}, tests) or just one
 * (the CLI's `meridian ecg server | fog | edge | device`, one process per role):
 *
 * - {@link startMedicalServer}: the provider's HTTP endpoint (`POST /ecg/forwards`) over a
 *   {@link MedicalServer}.
 * - {@link startFog}: a {@link FogRelay} consuming the edges' findings from MQTT with a persistent
 *   session, delivering to the medical server.
 * - {@link startEdge}: an {@link EdgeNode} consuming windows from MQTT and publishing findings
 *   on a second connection.
 * - {@link runDevice}: a sensor streaming a WFDB record as signed windows to MQTT.
 *
 * Every role reports what it does as {@link MonitoringEvent}s: small JSON-safe objects (ids,
 * counts, error names; never samples or keys), one per notable event. The CLI writes them as
 * log lines; {@link MonitoringTally} turns them into a run's figures, the same way whether the
 * roles share a process or not.
 *
 * @module
 */
import type { Hex, LocalAccount } from "viem";
import type { MeridianClient } from "@meridian/sdk";
import { MeridianError } from "@meridian/sdk";
import { streamWindows } from "./device.ts";
import type { DeviceOptions } from "./device.ts";
import { EdgeNode } from "./edge.ts";
import { FogRelay, httpDeliver } from "./fog.ts";
import type { Deliver, FogEvent } from "./fog.ts";
import { MedicalServer } from "./medical-server.ts";
import type { AnchoredWindow } from "./medical-server.ts";
import { windowDigest } from "./messages.ts";
import type { MonitoringDomain } from "./messages.ts";
import type { BeatClassifierPort } from "./ports.ts";
import {
  FINDINGS_TOPICS,
  WINDOW_TOPICS,
  connectMqtt,
  consume,
  findingsTopic,
  publishJson,
  windowTopic,
} from "./transport.ts";

/** The roles of the monitoring chain. */
export type MonitoringRole = "server" | "fog" | "edge" | "device";

/** An error as it appears in an event: its `name` and one line (a `MeridianError`'s `shortMessage`). */
export interface EventError {
  error: string;
  message: string;
}

/**
 * Something a role did. Times are milliseconds since the Unix epoch; `digest` is a window's
 * EIP-712 digest (its message id); `seq` is a fog queue position; `sequence` is the device's
 * window number.
 */
export type MonitoringEvent =
  | { role: "server"; event: "ready"; url: string }
  | {
      role: "server";
      event: "anchored";
      digest: Hex;
      sequence: number;
      recordId: Hex;
      sessionId: Hex;
      flagged: boolean;
    }
  /** A forward answered with an error: `status` 4xx is a refusal, 503 a failure the fog retries. */
  | ({ role: "server"; event: "refused"; status: number } & EventError)
  | { role: "fog"; event: "ready"; queued: number; delivered: number }
  | { role: "fog"; event: "queued"; seq: number; digest: Hex }
  /** A message already in the queue (a redelivery by the broker): acknowledged, not queued again. */
  | { role: "fog"; event: "duplicate"; digest: Hex }
  /** Delivered; `duplicate` when the server had anchored this window before (a redelivery after a crash). */
  | { role: "fog"; event: "delivered"; seq: number; digest: Hex; duplicate: boolean }
  /** The medical server refused it for good (4xx). */
  | { role: "fog"; event: "rejected"; seq: number; digest: Hex; reason: string }
  /** The medical server could not be reached or failed; the next attempt follows in `delayMs`. */
  | { role: "fog"; event: "retry"; seq: number; attempt: number; delayMs: number; message: string }
  | { role: "edge"; event: "ready"; model: Hex }
  | { role: "edge"; event: "classified"; digest: Hex; sequence: number; beats: number; abnormal: boolean }
  /** Connected; the stream starts. */
  | { role: "device"; event: "ready"; topic: string }
  | { role: "device"; event: "sent"; digest: Hex; sequence: number; abnormal: boolean; sentAt: number }
  | { role: "device"; event: "done"; sent: number }
  /** A message refused as bad (malformed, forged, replayed, unregistered device): acknowledged, never redelivered. */
  | ({ role: "fog" | "edge"; event: "refused" } & EventError)
  /** A good message that could not be handled (e.g. the queue could not be written): not acknowledged; the connection is reset after `delayMs` and the broker redelivers it. */
  | ({ role: "fog" | "edge"; event: "unacknowledged"; attempt: number; delayMs: number } & EventError)
  /** The broker connection failed after start (the client keeps reconnecting). */
  | { role: MonitoringRole; event: "connection-error"; message: string }
  | { role: MonitoringRole; event: "stopped" };

/** Receives a role's events; must not throw. */
export type EventSink = (event: MonitoringEvent) => void;

/** A role that runs until closed. */
export interface RunningRole {
  /** Stops taking work, lets the work in hand finish, and releases connections and files. */
  close(): Promise<void>;
}

/** The `error`/`message` of an event, from any thrown value. */
export function eventError(error: unknown): EventError {
  if (error instanceof MeridianError) return { error: error.name, message: error.shortMessage };
  if (error instanceof Error) return { error: error.name, message: error.message };
  return { error: "Error", message: String(error) };
}

const noop: EventSink = () => {};

// ------------------------------------------------------------------ medical server

/** Options of {@link startMedicalServer}. */
export interface StartMedicalServerOptions {
  /** The provider's client: its wallet anchors the records (it needs the patient's Cardiac write consent), its store keeps the envelopes. */
  client: MeridianClient;
  /** SQLite file of the server's state (created when missing). */
  stateFile: string;
  /** TCP port (default 0: any free port). */
  port?: number;
  /** Interface to listen on (default `127.0.0.1`). */
  host?: string;
  onEvent?: EventSink;
}

/** A running medical server. */
export interface RunningMedicalServer extends RunningRole {
  /** The forwards endpoint, `http://host:port/ecg/forwards`. */
  url: string;
  server: MedicalServer;
}

/**
 * Starts a medical server and its HTTP endpoint.
 *
 * @throws What `listen` throws (e.g. `EADDRINUSE`); the state file is closed again.
 */
export async function startMedicalServer(o: StartMedicalServerOptions): Promise<RunningMedicalServer> {
  const emit = o.onEvent ?? noop;
  const server = new MedicalServer({
    client: o.client,
    stateFile: o.stateFile,
    onAnchored: (a) =>
      emit({
        role: "server",
        event: "anchored",
        digest: a.windowDigest,
        sequence: a.forward.signedFindings.signedWindow.window.sequence,
        recordId: a.recordId,
        sessionId: a.sessionId,
        flagged: a.flagged,
      }),
    onError: (error, status) => emit({ role: "server", event: "refused", status, ...eventError(error) }),
  });
  let http: Awaited<ReturnType<MedicalServer["listen"]>>;
  try {
    http = await server.listen(o.port ?? 0, o.host ?? "127.0.0.1");
  } catch (error) {
    server.close();
    throw error;
  }
  emit({ role: "server", event: "ready", url: http.url });
  return {
    url: http.url,
    server,
    close: async () => {
      // stop accepting, finish the forward in hand (its answer goes out), then drop the rest
      const closed = new Promise<void>((resolve) => http.server.close(() => resolve()));
      await server.settled();
      http.server.closeAllConnections();
      await closed;
      server.close();
    },
  };
}

// ------------------------------------------------------------------ fog relay

/** Options of {@link startFog}. */
export interface StartFogOptions {
  /** The relay's key (a registered `Fog` device of each patient it serves). */
  account: LocalAccount;
  domain: MonitoringDomain;
  /** The broker (`mqtt://host:1883`, `mqtts://…`, `ws://…`). */
  mqttUrl: string;
  /** SQLite file of the durable queue (created when missing; a restart resumes from it). */
  queueFile: string;
  /** The medical server's forwards URL (`http://host:port/ecg/forwards`), or a {@link Deliver}. */
  deliver: string | Deliver;
  /**
   * First delay after a failure (milliseconds, default 200), doubling per consecutive failure up
   * to `maxRetryMs`: between delivery attempts while the medical server is unreachable, and
   * before the broker is asked to redeliver a message that could not be queued.
   */
  minRetryMs?: number;
  /** Longest such delay (milliseconds, default 5,000). */
  maxRetryMs?: number;
  onEvent?: EventSink;
}

/** A running fog relay. */
export interface RunningFog extends RunningRole {
  fog: FogRelay;
}

const fogEvent = (e: FogEvent): MonitoringEvent | undefined => {
  switch (e.kind) {
    case "queued":
      return { role: "fog", event: "queued", seq: e.seq, digest: e.id as Hex };
    case "duplicate":
      return { role: "fog", event: "duplicate", digest: e.id as Hex };
    case "refused":
      return undefined; // reported by the consumer, with the transport's own refusals
    case "delivered":
      return {
        role: "fog",
        event: "delivered",
        seq: e.seq,
        digest: e.id as Hex,
        duplicate: answeredDuplicate(e.detail),
      };
    case "rejected":
      return { role: "fog", event: "rejected", seq: e.seq, digest: e.id as Hex, reason: e.reason };
    case "retry":
      return { role: "fog", event: "retry", seq: e.seq, attempt: e.attempt, delayMs: e.delayMs, message: e.error };
  }
};

const answeredDuplicate = (detail: string): boolean => {
  try {
    return (JSON.parse(detail) as { duplicate?: unknown }).duplicate === true;
  } catch {
    return false;
  }
};

/**
 * Starts a fog relay: opens its queue, starts delivering what it holds, and consumes findings
 * with a persistent session (client id `meridian-fog-<address>`), acknowledging each message
 * only once it is in the queue. A message that cannot be written is not acknowledged and comes
 * again (see `consume`); a forged or malformed one is acknowledged and reported.
 *
 * @throws `BrokerConnectionError` when the broker cannot be reached (the queue is closed again).
 */
export async function startFog(o: StartFogOptions): Promise<RunningFog> {
  const emit = o.onEvent ?? noop;
  const fog = new FogRelay({
    account: o.account,
    domain: o.domain,
    queueFile: o.queueFile,
    deliver: typeof o.deliver === "string" ? httpDeliver(o.deliver) : o.deliver,
    ...(o.minRetryMs === undefined ? {} : { minRetryMs: o.minRetryMs }),
    ...(o.maxRetryMs === undefined ? {} : { maxRetryMs: o.maxRetryMs }),
    onEvent: (e) => {
      const event = fogEvent(e);
      if (event) emit(event);
    },
  });
  fog.start();
  let client: Awaited<ReturnType<typeof consume>>;
  try {
    client = await consume(o.mqttUrl, {
      ...(o.minRetryMs === undefined ? {} : { minRetryMs: o.minRetryMs }),
      ...(o.maxRetryMs === undefined ? {} : { maxRetryMs: o.maxRetryMs }),
      clientId: `meridian-fog-${o.account.address.toLowerCase()}`,
      topic: FINDINGS_TOPICS,
      handler: async (payload) => {
        await fog.accept(payload);
      },
      onRefused: (error) => emit({ role: "fog", event: "refused", ...eventError(error) }),
      onUnhandled: (error, { attempt, delayMs }) =>
        emit({ role: "fog", event: "unacknowledged", attempt, delayMs, ...eventError(error) }),
      onError: (error) => emit({ role: "fog", event: "connection-error", message: error.message }),
    });
  } catch (error) {
    await fog.stop();
    throw error;
  }
  const stats = fog.stats();
  emit({ role: "fog", event: "ready", queued: stats.queued, delivered: stats.delivered });
  return {
    fog,
    close: async () => {
      await client.endAsync();
      await fog.stop();
    },
  };
}

// ------------------------------------------------------------------ edge

/** Options of {@link startEdge}. */
export interface StartEdgeOptions {
  /** The edge's key (a registered `Edge` device of each patient it serves). */
  account: LocalAccount;
  domain: MonitoringDomain;
  mqttUrl: string;
  classifier: BeatClassifierPort;
  onEvent?: EventSink;
}

/** A running edge. */
export interface RunningEdge extends RunningRole {
  edge: EdgeNode;
}

/**
 * Starts an edge: consumes every device's windows with a persistent session (client id
 * `meridian-edge-<address>`) and publishes signed findings on a second connection (a client
 * blocked in its message handler reads no PUBACK). A window is acknowledged once its findings
 * are acknowledged by the broker; a refused window (forged, replayed, out of order) is
 * acknowledged and reported.
 *
 * @throws `BrokerConnectionError` when the broker cannot be reached.
 */
export async function startEdge(o: StartEdgeOptions): Promise<RunningEdge> {
  const emit = o.onEvent ?? noop;
  const edge = new EdgeNode({ account: o.account, domain: o.domain, classifier: o.classifier });
  const id = o.account.address.toLowerCase();
  const onError = (error: Error) => emit({ role: "edge", event: "connection-error", message: error.message });
  const out = await connectMqtt(o.mqttUrl, { clientId: `meridian-edge-out-${id}`, onError });
  let input: Awaited<ReturnType<typeof consume>>;
  try {
    input = await consume(o.mqttUrl, {
      clientId: `meridian-edge-${id}`,
      topic: WINDOW_TOPICS,
      handler: async (payload) => {
        const f = await edge.process(payload, (findings) =>
          publishJson(out, findingsTopic(findings.findings.patient), findings),
        );
        emit({
          role: "edge",
          event: "classified",
          digest: f.findings.window,
          sequence: f.signedWindow.window.sequence,
          beats: f.findings.beatClasses.length,
          abnormal: f.findings.abnormal,
        });
      },
      onRefused: (error) => emit({ role: "edge", event: "refused", ...eventError(error) }),
      onUnhandled: (error, { attempt, delayMs }) =>
        emit({ role: "edge", event: "unacknowledged", attempt, delayMs, ...eventError(error) }),
      onError,
    });
  } catch (error) {
    await out.endAsync();
    throw error;
  }
  emit({ role: "edge", event: "ready", model: o.classifier.modelId });
  return {
    edge,
    close: async () => {
      await input.endAsync();
      await out.endAsync();
    },
  };
}

// ------------------------------------------------------------------ device

/** Options of {@link runDevice}: the stream ({@link DeviceOptions}) and where it goes. */
export interface RunDeviceOptions extends DeviceOptions {
  mqttUrl: string;
  onEvent?: EventSink;
}

/**
 * Streams a record as signed windows (see `streamWindows`), publishing each at QoS 1 on the
 * device's topic and waiting for the broker's acknowledgement; resolves when the stream ends or
 * `signal` aborts.
 *
 * @returns Windows published.
 * @throws `BrokerConnectionError` when the broker cannot be reached.
 */
export async function runDevice(o: RunDeviceOptions): Promise<{ sent: number }> {
  const emit = o.onEvent ?? noop;
  const client = await connectMqtt(o.mqttUrl, {
    clientId: `meridian-device-${o.account.address.toLowerCase()}`,
    onError: (error) => emit({ role: "device", event: "connection-error", message: error.message }),
  });
  const topic = windowTopic(o.patient, o.account.address);
  emit({ role: "device", event: "ready", topic });
  let sent = 0;
  try {
    for await (const w of streamWindows(o)) {
      const { sentAt, ...message } = w;
      await publishJson(client, topic, message);
      sent++;
      emit({
        role: "device",
        event: "sent",
        digest: windowDigest(o.domain, message.window),
        sequence: message.window.sequence,
        abnormal: message.window.abnormal,
        sentAt,
      });
    }
  } finally {
    await client.endAsync();
  }
  emit({ role: "device", event: "done", sent });
  return { sent };
}

// ------------------------------------------------------------------ tally

/** What a tally counted: the figures of a monitoring run. */
export interface TallyFigures {
  /** Windows the device published. */
  sent: number;
  /** Windows anchored (once each), in the order the server anchored them. */
  anchored: AnchoredWindow[];
  /** Windows refused along the way: the hop (`edge`, `fog`, `medical server`) and the error. */
  refused: { hop: string; error: string }[];
  /** Latency per abnormal window (milliseconds): from the device publishing it to its record anchored and linked. */
  abnormalLatenciesMs: number[];
}

/**
 * Turns the roles' events into a run's figures: windows sent, anchored and refused, and the
 * latency of abnormal windows. Feed it every event ({@link record}); {@link settled} resolves
 * once the device is done and every window it sent is anchored or refused.
 */
export class MonitoringTally {
  readonly #sentAt = new Map<Hex, number>();
  readonly #anchoredAt = new Map<Hex, number>();
  readonly #anchored: AnchoredWindow[] = [];
  readonly #refused: { hop: string; error: string }[] = [];
  readonly #total: number;
  readonly #onProgress: ((p: { sent: number; anchored: number; total: number }) => void) | undefined;
  #deviceDone = false;

  /**
   * @param o.total - Windows expected (for progress only).
   * @param o.onProgress - Called after each window sent or anchored.
   */
  constructor(o: { total?: number; onProgress?: (p: { sent: number; anchored: number; total: number }) => void } = {}) {
    this.#total = o.total ?? 0;
    this.#onProgress = o.onProgress;
  }

  /** Counts one event. */
  record(e: MonitoringEvent): void {
    if (e.role === "device" && e.event === "sent") this.#sentAt.set(e.digest, e.sentAt);
    else if (e.role === "device" && e.event === "done") this.#deviceDone = true;
    else if (e.role === "server" && e.event === "anchored") {
      this.#anchored.push({
        windowDigest: e.digest,
        recordId: e.recordId,
        sessionId: e.sessionId,
        duplicate: false,
        flagged: e.flagged,
      });
      this.#anchoredAt.set(e.digest, Date.now());
    } else if (e.role === "edge" && e.event === "refused") this.#refused.push({ hop: "edge", error: e.message });
    else if (e.role === "fog" && e.event === "refused") this.#refused.push({ hop: "fog", error: e.message });
    else if (e.role === "fog" && e.event === "rejected") this.#refused.push({ hop: "medical server", error: e.reason });
    else return;
    this.#onProgress?.({ sent: this.#sentAt.size, anchored: this.#anchored.length, total: this.#total });
  }

  /** True once the device is done and every window it sent is anchored or refused. */
  get complete(): boolean {
    return this.#deviceDone && this.#anchored.length + this.#refused.length >= this.#sentAt.size;
  }

  /** Resolves when {@link complete} (polling every 20 ms), or rejects with the signal's reason when it aborts. */
  async settled(signal?: AbortSignal): Promise<void> {
    while (!this.complete) {
      signal?.throwIfAborted();
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The figures so far. */
  figures(): TallyFigures {
    const latencies: number[] = [];
    for (const a of this.#anchored) {
      const sent = this.#sentAt.get(a.windowDigest),
        at = this.#anchoredAt.get(a.windowDigest);
      if (a.flagged && sent !== undefined && at !== undefined) latencies.push(at - sent);
    }
    return {
      sent: this.#sentAt.size,
      anchored: [...this.#anchored],
      refused: [...this.#refused],
      abnormalLatenciesMs: latencies,
    };
  }
}
