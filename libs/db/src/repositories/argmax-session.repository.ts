import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ArgmaxSessionEntity } from '../entities/dealer/argmax-session.entity.js';

export type ArgmaxHalf = 0 | 1;

/** A session as the dealer shows it: never the seed. */
export interface ArgmaxSessionRecord {
  id: string;
  modulus: number;
  classes: number;
  count: number;
  /** Consortium party ids of party 0 and party 1. */
  parties: [string, string];
  consumed: [boolean, boolean];
  /** True once both halves were handed out and the seed erased. */
  seedErased: boolean;
  createdAt: Date;
}

export interface NewArgmaxSession {
  id: string;
  modulus: number;
  classes: number;
  count: number;
  parties: [string, string];
  /** 32 bytes from node:crypto. */
  seed: Uint8Array;
  createdByKeyId: string | null;
}

/** Scope of a half: one session, one party index. */
export interface ArgmaxHalfScope {
  sessionId: string;
  party: ArgmaxHalf;
}

/**
 * Claiming a half: `claimed` carries the seed (the only read of it), `consumed` when that half was already
 * handed out, `not-found` for an unknown session. `seedErased` says the claim was the last one and erased it.
 */
export type ArgmaxHalfClaim =
  | { outcome: 'claimed'; session: ArgmaxSessionRecord; seed: Buffer; seedErased: boolean }
  | { outcome: 'consumed'; session: ArgmaxSessionRecord }
  | { outcome: 'not-found' };

function toRecord(row: ArgmaxSessionEntity): ArgmaxSessionRecord {
  return {
    id: row.id,
    modulus: row.modulus,
    classes: row.classes,
    count: row.count,
    parties: [row.party0Id, row.party1Id],
    consumed: [row.consumed0At !== null, row.consumed1At !== null],
    seedErased: row.seed === null,
    createdAt: row.createdAt,
  };
}

/** The dealer's argmax sessions: a seed per session and which halves were handed out. Dealer database only. */
@Injectable()
export class ArgmaxSessionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Inserts the session unless one with this id exists (concurrent creations with the same id insert once).
   * Returns the stored session and whether this call created it; the caller compares an existing one.
   */
  async create(input: NewArgmaxSession): Promise<{ session: ArgmaxSessionRecord; created: boolean }> {
    const inserted = await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(ArgmaxSessionEntity)
      .values({
        id: input.id,
        modulus: input.modulus,
        classes: input.classes,
        count: input.count,
        party0Id: input.parties[0],
        party1Id: input.parties[1],
        seed: Buffer.from(input.seed),
        createdByKeyId: input.createdByKeyId,
      })
      .orIgnore()
      .returning(['id'])
      .execute();
    const created = (inserted.raw as unknown[]).length > 0;
    const session = await this.find(input.id);
    if (!session) throw new Error(`argmax session ${input.id} vanished after its insert`);
    return { session, created };
  }

  async find(id: string): Promise<ArgmaxSessionRecord | null> {
    const row = await this.dataSource.getRepository(ArgmaxSessionEntity).findOneBy({ id });
    return row ? toRecord(row) : null;
  }

  /**
   * Hands out one half, at most once: under the session's row lock, the half is marked consumed (by `keyId`)
   * and, when the other half already was, the seed is erased — all committed before the caller sees the seed, so
   * a crash or a lost response can never make the same half (or the seed) come out twice.
   */
  async claimHalf(scope: ArgmaxHalfScope, keyId: string): Promise<ArgmaxHalfClaim> {
    return this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(ArgmaxSessionEntity);
      const row = await repository.findOne({
        where: { id: scope.sessionId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!row) return { outcome: 'not-found' };
      const consumedAt = scope.party === 0 ? row.consumed0At : row.consumed1At;
      if (consumedAt !== null || row.seed === null) return { outcome: 'consumed', session: toRecord(row) };
      const seed = Buffer.from(row.seed);
      const now = new Date();
      const otherConsumed = (scope.party === 0 ? row.consumed1At : row.consumed0At) !== null;
      const changes: Partial<ArgmaxSessionEntity> =
        scope.party === 0
          ? { consumed0At: now, consumed0ByKeyId: keyId }
          : { consumed1At: now, consumed1ByKeyId: keyId };
      if (otherConsumed) Object.assign(changes, { seed: null, seedErasedAt: now });
      await repository.update({ id: row.id }, changes);
      row.seed.fill(0);
      return { outcome: 'claimed', session: toRecord({ ...row, ...changes }), seed, seedErased: otherConsumed };
    });
  }
}
