/**
 * A durable FIFO queue on SQLite (Node's built-in `node:sqlite`), for the fog relay's store and
 * forward: a message is on disk (WAL, `synchronous = FULL`) before `enqueue` returns, so the
 * relay acknowledges only what survives a crash or power loss. Messages are de-duplicated by
 * id and delivered in queue order.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";

/** A queued message. */
export interface QueuedMessage {
  /** Queue position: 1, 2, 3, … in arrival order. */
  seq: number;
  /** Message id (unique; a second message with the same id is a duplicate). */
  id: string;
  /** The message (JSON text). */
  body: string;
  /** Arrival time (milliseconds since the Unix epoch). */
  receivedAt: number;
  /** Delivery attempts so far. */
  attempts: number;
}

/** Counts of messages by state. */
export interface QueueStats {
  queued: number;
  delivered: number;
  rejected: number;
  /** Messages refused as duplicates since this process opened the queue. */
  duplicates: number;
}

/** See the module documentation. */
export class DurableQueue {
  readonly #db: DatabaseSync;
  #duplicates = 0;

  /**
   * Opens (or creates) the queue at `file`.
   *
   * @param file - SQLite database path (`:memory:` for a non-durable queue in tests).
   */
  constructor(file: string) {
    this.#db = new DatabaseSync(file);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = FULL;
      CREATE TABLE IF NOT EXISTS messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        body TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'delivered', 'rejected')),
        attempts INTEGER NOT NULL DEFAULT 0,
        outcome TEXT
      );
      CREATE INDEX IF NOT EXISTS messages_queued ON messages (state, seq);
    `);
  }

  /**
   * Stores a message durably. Returns its queue position, or the existing one with
   * `duplicate: true` when a message with this id was already queued (in any state).
   */
  enqueue(id: string, body: string, receivedAt = Date.now()): { seq: number; receivedAt: number; duplicate: boolean } {
    const existing = this.#db.prepare("SELECT seq, received_at FROM messages WHERE id = ?").get(id) as
      { seq: number; received_at: number } | undefined;
    if (existing) {
      this.#duplicates++;
      return { seq: existing.seq, receivedAt: existing.received_at, duplicate: true };
    }
    const result = this.#db
      .prepare("INSERT INTO messages (id, body, received_at) VALUES (?, ?, ?)")
      .run(id, body, receivedAt);
    return { seq: Number(result.lastInsertRowid), receivedAt, duplicate: false };
  }

  /** The oldest message not yet delivered or rejected, or `undefined`. */
  head(): QueuedMessage | undefined {
    const row = this.#db
      .prepare("SELECT seq, id, body, received_at, attempts FROM messages WHERE state = 'queued' ORDER BY seq LIMIT 1")
      .get() as { seq: number; id: string; body: string; received_at: number; attempts: number } | undefined;
    return row && { seq: row.seq, id: row.id, body: row.body, receivedAt: row.received_at, attempts: row.attempts };
  }

  /** Counts a failed delivery attempt of message `seq` (it stays at the head). */
  attempted(seq: number, error: string): void {
    this.#db.prepare("UPDATE messages SET attempts = attempts + 1, outcome = ? WHERE seq = ?").run(error, seq);
  }

  /** Marks message `seq` delivered (with the receiver's answer) or rejected for good (with the reason). */
  settle(seq: number, state: "delivered" | "rejected", outcome: string): void {
    this.#db
      .prepare("UPDATE messages SET state = ?, attempts = attempts + 1, outcome = ? WHERE seq = ?")
      .run(state, outcome, seq);
  }

  /** Messages in `state`, in queue order (for reports and tests). */
  list(state: "queued" | "delivered" | "rejected"): { seq: number; id: string; outcome: string | null }[] {
    return this.#db.prepare("SELECT seq, id, outcome FROM messages WHERE state = ? ORDER BY seq").all(state) as {
      seq: number;
      id: string;
      outcome: string | null;
    }[];
  }

  /** Counts by state. */
  stats(): QueueStats {
    const rows = this.#db.prepare("SELECT state, COUNT(*) AS n FROM messages GROUP BY state").all() as {
      state: keyof QueueStats;
      n: number;
    }[];
    const out: QueueStats = { queued: 0, delivered: 0, rejected: 0, duplicates: this.#duplicates };
    for (const r of rows) out[r.state] = r.n;
    return out;
  }

  /** Closes the database. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
