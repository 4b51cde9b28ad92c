import { Column, Entity, Index, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { LabelingJobEntity } from './labeling-job.entity.js';
import { UnlabeledRecordEntity } from './unlabeled-record.entity.js';

export type QueryStatus = 'pending' | 'answered' | 'refused-threshold' | 'refused-budget' | 'failed';

/**
 * One record of a job put to the teachers. A refused query has no label: it is never guessed. A pate job's row is
 * created when the guardian first reads the query (LabelingJobRepository.nextPending); until then the query is pending.
 */
@Entity('query')
@Index(['jobId', 'ordinal'], { unique: true })
export class QueryEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  jobId: string;

  @ManyToOne(() => LabelingJobEntity, { onDelete: 'CASCADE' })
  job: Relation<LabelingJobEntity>;

  @Column({ type: 'uuid' })
  recordId: string;

  @ManyToOne(() => UnlabeledRecordEntity, { onDelete: 'RESTRICT' })
  record: Relation<UnlabeledRecordEntity>;

  @Column({ type: 'integer' })
  ordinal: number;

  @Column({ type: 'varchar', length: 24, default: 'pending' })
  status: QueryStatus;

  /** Released label: a class index, or the list of positive labels for multi-label data. */
  @Column({ type: 'jsonb', nullable: true })
  label: number | number[] | null;

  @Column({ type: 'timestamptz', nullable: true })
  answeredAt: Date | null;

  /**
   * The teachers' vote histogram (counts per class), once the query is decided. Guardian-only: it is private (the
   * data-dependent ε is a function of it), never served by the API, and never loaded unless asked for by name.
   * Kept in the query's own row: written by the same UPDATE that records the outcome, it needs no second row, index
   * or foreign-key check per query.
   */
  @Column({ type: 'jsonb', nullable: true, select: false })
  voteCounts: number[] | null;

  /** How many teachers actually voted (guardian-only, as voteCounts). */
  @Column({ type: 'integer', nullable: true, select: false })
  voters: number | null;
}
