import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  ManyToOne,
  PrimaryColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { LabelingJobEntity } from './labeling-job.entity.js';

/**
 * relaying → (argmax rounds) → shared (every share sum is in; the guardian decides) → decided; or failed (a teacher
 * or the querying party dropped out: its queries are asked again in a new batch, with fresh correlations).
 */
export type CapcBatchStatus = 'relaying' | 'shared' | 'decided' | 'failed';

/** One teacher service's part of a batch: its dealer session and how many partitions answered. */
export interface CapcBatchTeacher {
  partyId: string;
  sessionId: string;
  partitions: number;
}

/**
 * A batch of encrypted queries of a capc job as the coordinator relays it. Holds no plaintext: only the round the
 * relay is at, and the share sums (each uniformly random on its own) the guardian reconstructs histograms from.
 */
@Entity('capc_batch')
@Index(['jobId', 'firstOrdinal'])
export class CapcBatchEntity {
  /** Chosen by the querying party; used once. */
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'uuid' })
  jobId: string;

  @ManyToOne(() => LabelingJobEntity, { onDelete: 'CASCADE' })
  job: Relation<LabelingJobEntity>;

  @Column({ type: 'integer' })
  firstOrdinal: number;

  @Column({ type: 'integer' })
  queryCount: number;

  @Index()
  @Column({ type: 'varchar', length: 16, default: 'relaying' })
  status: CapcBatchStatus;

  /** Last argmax round relayed (0: the encrypted evaluation). */
  @Column({ type: 'integer', default: 0 })
  round: number;

  @Column({ type: 'jsonb' })
  teachers: CapcBatchTeacher[];

  /** Per teacher party id: base64 of its share sums (queries × classes u32). Guardian only. */
  @Column({ type: 'jsonb', default: {} })
  teacherShareSums: Record<string, string>;

  /** The querying party's share sums (queries × classes u32). Guardian only. */
  @Column({ type: 'bytea', nullable: true })
  queryingShareSums: Buffer | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  errorCode: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
