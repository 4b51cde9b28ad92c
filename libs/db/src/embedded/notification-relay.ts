const NOTIFICATION_RESPONSE = 'A'.charCodeAt(0);

/**
 * Splits a backend's output stream (type byte, int32 length, body; chunks may end anywhere) into everything but
 * NotificationResponse messages, passed on as they come, and each NotificationResponse, handed over whole.
 *
 * Why: PGlite is one backend session for every connection of the embedded server, so a NOTIFY is delivered to that
 * session — into the output of the connection that sent it — and never to the connection that ran LISTEN (pg-boss's
 * listener in another process). The embedded server takes the notifications out of the notifier's stream and
 * writes them to every connection, as asynchronous messages between two of theirs (protocol: "NotificationResponse
 * … may arrive at any time"; PostgreSQL docs, 55.2.7 Asynchronous Operations).
 */
export class NotificationSplitter {
  private readonly header = new Uint8Array(5);
  private headerBytes = 0;
  private bodyBytesLeft = 0;
  /** The current message is a NotificationResponse: its bytes are held back and collected. */
  private holding = false;
  private notification: Uint8Array | null = null;
  private notificationBytes = 0;

  constructor(
    private readonly pass: (data: Uint8Array) => void,
    private readonly notify: (message: Uint8Array) => void,
  ) {}

  push(data: Uint8Array): void {
    let runStart = 0; // the bytes of `data` from runStart to i are passed on, as one piece, in order
    const flush = (end: number) => {
      if (end > runStart) this.pass(data.subarray(runStart, end));
    };
    let i = 0;
    while (i < data.length) {
      if (this.bodyBytesLeft > 0) {
        const n = Math.min(this.bodyBytesLeft, data.length - i);
        const held = this.holding;
        if (held) {
          this.notification!.set(data.subarray(i, i + n), this.notificationBytes);
          this.notificationBytes += n;
        }
        this.bodyBytesLeft -= n;
        i += n;
        if (held) {
          runStart = i;
          if (this.bodyBytesLeft === 0) this.finish();
        }
        continue;
      }
      if (this.headerBytes === 0) {
        this.holding = data[i] === NOTIFICATION_RESPONSE;
        if (this.holding) flush(i);
      }
      this.header[this.headerBytes++] = data[i++]!;
      if (this.holding) runStart = i;
      if (this.headerBytes < 5) continue;
      this.headerBytes = 0;
      this.bodyBytesLeft = new DataView(this.header.buffer).getUint32(1) - 4;
      if (this.holding) {
        this.notification = new Uint8Array(5 + this.bodyBytesLeft);
        this.notification.set(this.header);
        this.notificationBytes = 5;
        if (this.bodyBytesLeft === 0) this.finish();
      }
    }
    if (!this.holding) flush(data.length);
  }

  private finish(): void {
    const message = this.notification!;
    this.holding = false;
    this.notification = null;
    this.notificationBytes = 0;
    this.notify(message);
  }
}
