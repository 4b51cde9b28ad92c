import { DomainError } from '@conclave/common';
import type { ArgmaxParty } from '@conclave/crypto';

/** One (batch, teacher service) session: this service's logit shares, then its side of every argmax of the batch. */
export interface CapcSession {
  id: string;
  jobId: string;
  queries: number;
  partitions: number;
  classes: number;
  modulus: number;
  /** Per instance (query-major, partition-minor): this service's logit shares, until the argmaxes start. */
  shares: Uint32Array[] | null;
  parties: ArgmaxParty[] | null;
  /**
   * This service's halves being fetched from the dealer and its argmaxes started (from `prepare`, or at the latest
   * from round 1); every round awaits it. Null until asked for.
   */
  starting?: Promise<void> | null;
  /** The messages this service sends in the next round (computed as soon as the previous round was received). */
  outgoing: Uint8Array[] | null;
  /** Last round received. */
  round: number;
  done: boolean;
  failed: boolean;
  expiresAt: number;
}

/**
 * The sessions of this teacher service, in memory only (shares never touch a disk), bounded and with a TTL: a
 * session the guardian abandons is dropped with its shares. A session id is used once, even after it expired.
 */
export class CapcSessionStore {
  private readonly sessions = new Map<string, CapcSession>();
  private readonly used = new Set<string>();

  constructor(
    private readonly options: { maxSessions: number; ttlMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  create(session: Omit<CapcSession, 'expiresAt'>): CapcSession {
    this.sweep();
    if (this.used.has(session.id)) throw new DomainError('REPLAY_DETECTED', 'This session id was used before');
    if (this.sessions.size >= this.options.maxSessions) {
      throw new DomainError('RATE_LIMITED', 'Too many confidential sessions in progress');
    }
    const stored = { ...session, expiresAt: this.now() + this.options.ttlMs };
    this.used.add(session.id);
    if (this.used.size > 100_000) this.used.delete(this.used.values().next().value!);
    this.sessions.set(session.id, stored);
    return stored;
  }

  get(id: string): CapcSession {
    this.sweep();
    const session = this.sessions.get(id);
    if (!session) throw new DomainError('NOT_FOUND', 'No such confidential session (expired, finished or unknown)');
    return session;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
  }
}
