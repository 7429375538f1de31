/**
 * The medical server, a provider's service: it verifies each forward's whole signature chain
 * (device → edge → fog) against the devices the patient registered on chain, checks the
 * device's sequence number, builds the window's FHIR R4 resources, encrypts and anchors them as
 * a Cardiac record of the patient through the SDK (under the patient's write consent), and links
 * the record to the patient's monitoring session, flagged for a clinician when abnormal.
 *
 * Exactly once: its state is a SQLite file. Before the anchoring transaction is sent, a
 * write-ahead intent (window digest → envelope CID) is stored; after a crash it asks the chain
 * whether that CID was anchored and finishes or forgets the window, so a window redelivered by
 * the fog relay is anchored once and linked once. A forward already linked is answered as a
 * duplicate.
 *
 * @module
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DatabaseSync } from "node:sqlite";
import { bytesToHex, isAddressEqual } from "viem";
import type { Address, Hex } from "viem";
import { CID } from "multiformats/cid";
import { RecordCategory } from "@meridian/sdk";
import type { MeridianClient } from "@meridian/sdk";
import { listRecordAnchors } from "@meridian/sdk/chain";
import {
  DeviceRole,
  DeviceStatus,
  addSessionRecord,
  getDevice,
  isActiveDevice,
  listSessionRecords,
  openSession,
} from "@meridian/sdk/chain";
import type { DeviceRoleCode } from "@meridian/sdk/chain";
import { MeridianError } from "@meridian/sdk";
import { ForgedSignatureError, MalformedMessageError, SequenceError, UnregisteredDeviceError } from "./errors.ts";
import type { Hop } from "./errors.ts";
import { buildWindowBundle } from "./fhir.ts";
import { verifyForward } from "./messages.ts";
import type { MonitoringDomain, SignedForward } from "./messages.ts";

/** The answer to one forward. */
export interface AnchoredWindow {
  /** EIP-712 digest of the device window (the message id). */
  windowDigest: Hex;
  recordId: Hex;
  sessionId: Hex;
  /** True when this window had been anchored before (a redelivery). */
  duplicate: boolean;
  /** True when the record is flagged for clinician review. */
  flagged: boolean;
}

/** Options of {@link MedicalServer}. */
export interface MedicalServerOptions {
  /** The provider's client (its wallet anchors the records; it needs the patient's Cardiac write consent). */
  client: MeridianClient;
  /** SQLite file of the server's state. */
  stateFile: string;
  /** Called after each window is anchored and linked (for logs, progress and latency figures); must not throw. */
  onAnchored?: (window: AnchoredWindow & { forward: SignedForward }) => void;
  /** Called for each HTTP request answered with an error (4xx refusals, 503 failures; see {@link MedicalServer.listen}); must not throw. */
  onError?: (error: Error, status: number) => void;
}

/** See the module documentation. */
export class MedicalServer {
  readonly #o: MedicalServerOptions;
  readonly #db: DatabaseSync;
  #queue: Promise<unknown> = Promise.resolve();
  #recovered: Promise<void> | undefined;

  constructor(options: MedicalServerOptions) {
    this.#o = options;
    this.#db = new DatabaseSync(options.stateFile);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = FULL;
      CREATE TABLE IF NOT EXISTS windows (
        digest TEXT PRIMARY KEY, patient TEXT NOT NULL, device TEXT NOT NULL, sequence INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('intent', 'anchored', 'linked')),
        cid TEXT NOT NULL, record_id TEXT, session_id TEXT NOT NULL, flagged INTEGER NOT NULL, updated_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS devices (key TEXT PRIMARY KEY, last_sequence INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS sessions (patient TEXT PRIMARY KEY, session_id TEXT NOT NULL);
    `);
  }

  get #ctx() {
    return this.#o.client.ctx;
  }
  get #domain(): MonitoringDomain {
    return { chainId: this.#ctx.deployment.chainId, monitoringRegistry: this.#ctx.deployment.monitoringRegistry };
  }

  /**
   * Handles one forward from a fog relay (one at a time, in arrival order).
   *
   * @throws `MalformedMessageError`, `ForgedSignatureError`, {@link UnregisteredDeviceError}
   *   (unregistered or revoked device, edge or fog), {@link SequenceError}, and the SDK's errors
   *   (no write consent, chain unreachable). Nothing is anchored when it throws.
   */
  handle(message: unknown): Promise<AnchoredWindow> {
    const run = this.#queue.then(async () => {
      await this.recover();
      return this.#handle(message);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Finishes or forgets windows a crash interrupted (idempotent; `handle` runs it first). An
   * intent whose CID the chain shows anchored by this provider is linked; one the chain does
   * not show is forgotten, so the redelivered window is processed again.
   */
  recover(): Promise<void> {
    this.#recovered ??= this.#recover();
    return this.#recovered;
  }

  async #recover() {
    const pending = this.#db
      .prepare(
        "SELECT digest, patient, device, sequence, state, cid, record_id, session_id, flagged FROM windows WHERE state != 'linked'",
      )
      .all() as {
      digest: Hex;
      patient: Address;
      device: Address;
      sequence: number;
      state: string;
      cid: Hex;
      record_id: Hex | null;
      session_id: Hex;
      flagged: number;
    }[];
    for (const row of pending) {
      let recordId = row.record_id;
      if (row.state === "intent") {
        const me = this.#o.client.address;
        const anchor = (await listRecordAnchors(this.#ctx, row.patient)).find(
          (a) => isAddressEqual(a.author, me) && a.cid.toLowerCase() === row.cid.toLowerCase(),
        );
        if (!anchor) {
          this.#forget(row.digest, row.patient, row.device, row.sequence);
          continue;
        }
        recordId = anchor.recordId;
        this.#db
          .prepare("UPDATE windows SET state = 'anchored', record_id = ?, updated_at = ? WHERE digest = ?")
          .run(recordId, Date.now(), row.digest);
      }
      const linked = (await listSessionRecords(this.#ctx, row.session_id)).some(
        (e) => e.recordId.toLowerCase() === recordId!.toLowerCase(),
      );
      if (!linked)
        await addSessionRecord(this.#ctx, {
          sessionId: row.session_id,
          recordId: recordId!,
          flaggedForReview: row.flagged === 1,
        });
      this.#db
        .prepare("UPDATE windows SET state = 'linked', updated_at = ? WHERE digest = ?")
        .run(Date.now(), row.digest);
    }
  }

  #forget(digest: Hex, patient: Address, device: Address, sequence: number) {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      this.#db.prepare("DELETE FROM windows WHERE digest = ?").run(digest);
      this.#db
        .prepare("UPDATE devices SET last_sequence = ? WHERE key = ? AND last_sequence = ?")
        .run(sequence - 1, deviceKey(patient, device), sequence);
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  async #checkDevice(hop: Hop, patient: Address, device: Address, role: DeviceRoleCode) {
    if (await isActiveDevice(this.#ctx, patient, device, role)) return;
    const info = await getDevice(this.#ctx, patient, device);
    const revoked = info.status === DeviceStatus.Revoked;
    const what = revoked
      ? `was revoked by the patient`
      : info.status === DeviceStatus.Active
        ? `is registered in another role`
        : `is not registered by the patient`;
    throw new UnregisteredDeviceError(hop, revoked, `The ${hop} ${device} ${what}.`, { details: `patient ${patient}` });
  }

  async #session(patient: Address): Promise<Hex> {
    const row = this.#db.prepare("SELECT session_id FROM sessions WHERE patient = ?").get(patient.toLowerCase()) as
      { session_id: Hex } | undefined;
    if (row) return row.session_id;
    const { sessionId } = await openSession(this.#ctx, { patient });
    this.#db.prepare("INSERT INTO sessions (patient, session_id) VALUES (?, ?)").run(patient.toLowerCase(), sessionId);
    return sessionId;
  }

  /** The session this server opened for `patient`, if any. */
  sessionOf(patient: Address): Hex | undefined {
    return (
      this.#db.prepare("SELECT session_id FROM sessions WHERE patient = ?").get(patient.toLowerCase()) as
        { session_id: Hex } | undefined
    )?.session_id;
  }

  /** Windows anchored and linked, in sequence order per device (digest, record id, sequence). */
  anchoredWindows(): { digest: Hex; recordId: Hex; device: Address; sequence: number; flagged: boolean }[] {
    const rows = this.#db
      .prepare(
        "SELECT digest, record_id, device, sequence, flagged FROM windows WHERE state = 'linked' ORDER BY device, sequence",
      )
      .all() as { digest: Hex; record_id: Hex; device: Address; sequence: number; flagged: number }[];
    return rows.map((r) => ({
      digest: r.digest,
      recordId: r.record_id,
      device: r.device,
      sequence: r.sequence,
      flagged: r.flagged === 1,
    }));
  }

  async #handle(message: unknown): Promise<AnchoredWindow> {
    const { samples, windowDigest } = await verifyForward(this.#domain, message);
    const forward = message as SignedForward;
    const w = forward.signedFindings.signedWindow.window;
    const done = this.#db
      .prepare("SELECT record_id, session_id, flagged FROM windows WHERE digest = ? AND state = 'linked'")
      .get(windowDigest) as { record_id: Hex; session_id: Hex; flagged: number } | undefined;
    if (done)
      return {
        windowDigest,
        recordId: done.record_id,
        sessionId: done.session_id,
        duplicate: true,
        flagged: done.flagged === 1,
      };
    await this.#checkDevice("device", w.patient, w.device, DeviceRole.Sensor);
    await this.#checkDevice("edge", w.patient, forward.signedFindings.findings.edge, DeviceRole.Edge);
    await this.#checkDevice("fog", w.patient, forward.forward.fog, DeviceRole.Fog);
    const key = deviceKey(w.patient, w.device);
    const last =
      (
        this.#db.prepare("SELECT last_sequence FROM devices WHERE key = ?").get(key) as
          { last_sequence: number } | undefined
      )?.last_sequence ?? 0;
    if (w.sequence !== last + 1) throw new SequenceError(last + 1, w.sequence, { details: `device ${w.device}` });
    const sessionId = await this.#session(w.patient);
    const flagged = forward.signedFindings.findings.abnormal;
    const bundle = buildWindowBundle({ forward, samples, windowDigest, sessionId });
    let recordId: Hex;
    try {
      ({ recordId } = await this.#o.client.addRecord({
        plaintext: new TextEncoder().encode(JSON.stringify(bundle)),
        category: RecordCategory.Cardiac,
        patient: w.patient,
        beforeAnchor: ({ cid }) => {
          // the write-ahead intent and the sequence advance, in one transaction, before the anchoring transaction is sent
          this.#db.exec("BEGIN IMMEDIATE");
          try {
            this.#db
              .prepare(
                "INSERT INTO windows (digest, patient, device, sequence, state, cid, session_id, flagged, updated_at) VALUES (?, ?, ?, ?, 'intent', ?, ?, ?, ?)",
              )
              .run(
                windowDigest,
                w.patient,
                w.device,
                w.sequence,
                bytesToHex(CID.parse(cid).bytes),
                sessionId,
                flagged ? 1 : 0,
                Date.now(),
              );
            this.#db
              .prepare(
                "INSERT INTO devices (key, last_sequence) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET last_sequence = excluded.last_sequence",
              )
              .run(key, w.sequence);
            this.#db.exec("COMMIT");
          } catch (error) {
            this.#db.exec("ROLLBACK");
            throw error;
          }
        },
      }));
    } catch (error) {
      // the transaction may or may not have landed: let recovery ask the chain
      this.#recovered = undefined;
      await this.recover();
      const row = this.#db
        .prepare("SELECT record_id FROM windows WHERE digest = ? AND state = 'linked'")
        .get(windowDigest) as { record_id: Hex } | undefined;
      if (!row) throw error;
      return { windowDigest, recordId: row.record_id, sessionId, duplicate: false, flagged };
    }
    this.#db
      .prepare("UPDATE windows SET state = 'anchored', record_id = ?, updated_at = ? WHERE digest = ?")
      .run(recordId, Date.now(), windowDigest);
    await addSessionRecord(this.#ctx, { sessionId, recordId, flaggedForReview: flagged });
    this.#db
      .prepare("UPDATE windows SET state = 'linked', updated_at = ? WHERE digest = ?")
      .run(Date.now(), windowDigest);
    const out: AnchoredWindow = { windowDigest, recordId, sessionId, duplicate: false, flagged };
    this.#o.onAnchored?.({ ...out, forward });
    return out;
  }

  /**
   * Serves `POST /ecg/forwards` (JSON {@link SignedForward}) on `port` (0 = any free port) of
   * 127.0.0.1. Answers 200 with the {@link AnchoredWindow}; 400 malformed, 422 forged signature,
   * 403 unregistered or revoked device or no write consent, 409 sequence error (permanent
   * refusals, each with `{ error, message }`); 503 when the chain or store failed (retry).
   */
  async listen(port = 0, host = "127.0.0.1"): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
    const server = createServer((req, res) => void this.#serve(req, res));
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
    const { port: bound } = server.address() as AddressInfo;
    const close = () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    return { url: `http://${host}:${bound}/ecg/forwards`, server, close };
  }

  async #serve(req: IncomingMessage, res: ServerResponse) {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (req.method !== "POST" || req.url !== "/ecg/forwards")
      return send(404, { error: "NotFound", message: "POST /ecg/forwards" });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 16 * 1024 * 1024)
        return send(413, { error: "PayloadTooLarge", message: "A forward is at most 16 MiB." });
      chunks.push(chunk as Buffer);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return send(400, { error: "MalformedMessageError", message: "The body is not JSON." });
    }
    try {
      send(200, await this.handle(body));
    } catch (error) {
      const status = statusOf(error);
      this.#o.onError?.(error as Error, status);
      send(status, {
        error: (error as Error).name,
        message: error instanceof MeridianError ? error.shortMessage : "internal error",
      });
    }
  }

  /** Resolves when the forwards handed to {@link handle} so far are settled (before {@link close} on a clean stop). */
  async settled(): Promise<void> {
    await this.#queue;
  }

  /** Closes the state database. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

const deviceKey = (patient: Address, device: Address) => `${patient.toLowerCase()}/${device.toLowerCase()}`;

/** HTTP status of an error thrown by {@link MedicalServer.handle}. */
export function statusOf(error: unknown): number {
  if (error instanceof MalformedMessageError) return 400;
  if (error instanceof ForgedSignatureError) return 422;
  if (error instanceof UnregisteredDeviceError) return 403;
  if (error instanceof SequenceError) return 409;
  if (error instanceof MeridianError && (error.name === "AccessDeniedError" || error.name === "NotRegisteredError"))
    return 403;
  return 503;
}
