import { Check, Column, CreateDateColumn, Entity, PrimaryColumn, type ValueTransformer } from 'typeorm';

/** PostgreSQL returns bigint as a string; the modulus (< 2^32) is exact as a number. */
const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

/**
 * One batch of correlated randomness for the secure argmax, asked for by the guardian: `count` correlations of
 * `classes` values in Z_modulus, half 0 for party 0 (the querying party) and half 1 for party 1 (the teacher
 * service). Only a 32-byte seed is kept: both halves are regenerated from it on demand, each handed out once, and
 * the seed is erased (NULL) once both are, so the material can never be produced again. Dealer database only.
 */
@Entity('argmax_session')
@Check('CHK_argmax_session_shape', '"classes" >= 2 AND "count" >= 1 AND "modulus" >= 3 AND "modulus" < 4294967296')
@Check('CHK_argmax_session_parties', '"party0_id" <> "party1_id"')
@Check('CHK_argmax_session_seed', '"seed" IS NULL OR octet_length("seed") = 32')
export class ArgmaxSessionEntity {
  /** Chosen by the guardian (idempotent creation). */
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** The ring Z_p of the shares: the BFV plain modulus, an odd prime below 2^32. */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  modulus: number;

  @Column({ type: 'integer' })
  classes: number;

  @Column({ type: 'integer' })
  count: number;

  /** The consortium party id of party 0 (by convention the querying party). */
  @Column({ type: 'uuid' })
  party0Id: string;

  /** The consortium party id of party 1 (by convention the teacher service). */
  @Column({ type: 'uuid' })
  party1Id: string;

  /** Drawn with node:crypto at creation; NULL once both halves were handed out. Never leaves the dealer. */
  @Column({ type: 'bytea', nullable: true })
  seed: Buffer | null;

  /** The guardian key that asked for the session. */
  @Column({ type: 'uuid', nullable: true })
  createdByKeyId: string | null;

  /** When half 0 was handed out (recorded before its first byte is sent), and to which key. */
  @Column({ type: 'timestamptz', nullable: true })
  consumed0At: Date | null;

  @Column({ type: 'uuid', nullable: true })
  consumed0ByKeyId: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  consumed1At: Date | null;

  @Column({ type: 'uuid', nullable: true })
  consumed1ByKeyId: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  seedErasedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
