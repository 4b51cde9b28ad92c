import type { PGlite } from '@electric-sql/pglite';
import { NotificationSplitter } from './notification-relay.js';

const code = (c: string) => c.charCodeAt(0);
/**
 * Frontend messages of the extended query protocol. The backend ends their cycle with ReadyForQuery only at the
 * Sync; after a failed one PGlite may answer a premature ReadyForQuery (electric-sql/pglite#958), which must not
 * end the cycle.
 */
const EXTENDED_PROTOCOL = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map(code));
const TERMINATE = code('X');
const READY_FOR_QUERY = code('Z');
/** Output is written to a connection in pieces of at least this many bytes (the last piece of a message aside). */
const COALESCE_BYTES = 256 * 1024;

/** Follows the backend's output (type byte, int32 length, body) just enough to know its last message's type. */
class LastMessageType {
  private readonly header = new Uint8Array(5);
  private headerBytes = 0;
  private bodyBytesLeft = 0;
  private last = -1;

  push(data: Uint8Array): void {
    let i = 0;
    while (i < data.length) {
      if (this.bodyBytesLeft > 0) {
        const skipped = Math.min(this.bodyBytesLeft, data.length - i);
        this.bodyBytesLeft -= skipped;
        i += skipped;
        continue;
      }
      this.header[this.headerBytes++] = data[i++]!;
      if (this.headerBytes === 5) {
        const view = new DataView(this.header.buffer);
        this.last = this.header[0]!;
        this.bodyBytesLeft = view.getUint32(1) - 4;
        this.headerBytes = 0;
      }
    }
  }

  /** The output ended with a complete ReadyForQuery. */
  get readyForQuery(): boolean {
    return this.last === READY_FOR_QUERY && this.headerBytes === 0 && this.bodyBytesLeft === 0;
  }
}

/**
 * The PGlite instance as pglite-socket's server should see it. The server (0.2.17) serialises single protocol
 * messages across its connections and keeps serving one connection only while an SQL transaction is open. An
 * extended-protocol cycle (Parse, Bind, Describe, Execute … Sync: every parameterised query of node-postgres,
 * TypeORM and pg-boss) is no transaction, so the cycles of two connections interleave on PGlite's single session:
 * one connection's Parse replaces the other's unnamed statement, which then binds and runs the wrong statement —
 * an error, or silently the wrong rows (electric-sql/pglite#1046).
 *
 * This view reports "in a transaction" also while a connection's protocol cycle is open: from its first message
 * until the backend ends the cycle with ReadyForQuery (Sync, a simple query, the start-up exchange, the end of a
 * COPY), or the connection terminates. The server's queue then keeps serving that connection alone until its
 * cycle is complete, as a PostgreSQL backend would serve it.
 */
export function serializeProtocolCycles(
  db: PGlite,
  options: {
    /** Receives each NotificationResponse, taken out of the notifying connection's output (see NotificationSplitter). */
    onNotification?: (message: Uint8Array) => void;
  } = {},
): PGlite {
  let cycleOpen = false;
  const isInTransaction = () => cycleOpen || db.isInTransaction();
  const execProtocolRawStream: PGlite['execProtocolRawStream'] = async (message, streamOptions) => {
    const output = new LastMessageType();
    // PGlite hands its output over in pieces of about 8 KB (a 256-row result of features: some 200), and the server
    // writes each to the socket: one system call per piece. They are gathered (copied: a piece is a view of PGlite's
    // memory) and written in pieces of COALESCE_BYTES, the rest when the message is done.
    const pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = () => {
      if (pendingBytes === 0) return;
      const data = pending.length === 1 ? pending[0]! : new Uint8Array(Buffer.concat(pending, pendingBytes));
      pending.length = 0;
      pendingBytes = 0;
      output.push(data);
      streamOptions.onRawData(data);
    };
    const toConnection = (data: Uint8Array) => {
      pending.push(data.slice());
      pendingBytes += data.length;
      if (pendingBytes >= COALESCE_BYTES) flush();
    };
    const onNotification = options.onNotification;
    // Whatever precedes a notification reaches the notifier's socket first (it is one of the sockets relayed to).
    const splitter = onNotification
      ? new NotificationSplitter(toConnection, (notification) => {
          flush();
          onNotification(notification);
        })
      : null;
    try {
      await db.execProtocolRawStream(message, {
        ...streamOptions,
        onRawData: splitter ? (data) => splitter.push(data) : toConnection,
      });
    } finally {
      flush();
      const type = message[0]!;
      cycleOpen = type !== TERMINATE && (EXTENDED_PROTOCOL.has(type) || !output.readyForQuery);
    }
  };
  // The server calls exec only to roll back the transaction of a connection that went away mid-cycle.
  const exec: PGlite['exec'] = async (...args) => {
    cycleOpen = false;
    return db.exec(...args);
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === 'isInTransaction') return isInTransaction;
      if (property === 'execProtocolRawStream') return execProtocolRawStream;
      if (property === 'exec') return exec;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
