import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { PartyEntity } from './party.entity.js';
import { PrivacyBudgetEntity } from './privacy-budget.entity.js';
import { UnlabeledDatasetEntity } from './unlabeled-dataset.entity.js';

export type JobMode = 'pate' | 'capc';
export type JobMechanism = 'gnmax' | 'confident-gnmax' | 'interactive-gnmax' | 'lnmax' | 'multilabel-gnmax';
export type JobStatus = 'queued' | 'running' | 'paused' | 'completed' | 'budget-exhausted' | 'cancelled' | 'failed';

/** A request to label (part of) an unlabeled dataset with the consortium's teachers. */
@Entity('labeling_job')
export class LabelingJobEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column({ type: 'uuid' })
  unlabeledDatasetId: string;

  @ManyToOne(() => UnlabeledDatasetEntity, { onDelete: 'RESTRICT' })
  unlabeledDataset: Relation<UnlabeledDatasetEntity>;

  @Index()
  @Column({ type: 'uuid' })
  budgetId: string;

  @ManyToOne(() => PrivacyBudgetEntity, { onDelete: 'RESTRICT' })
  budget: Relation<PrivacyBudgetEntity>;

  @Column({ type: 'uuid' })
  requestedByPartyId: string;

  @ManyToOne(() => PartyEntity, { onDelete: 'RESTRICT' })
  requestedByParty: Relation<PartyEntity>;

  @Column({ type: 'varchar', length: 8, default: 'pate' })
  mode: JobMode;

  @Column({ type: 'varchar', length: 32 })
  mechanism: JobMechanism;

  /** Mechanism parameters (σ, T, σ1, σ2, charging, …) as validated at creation. */
  @Column({ type: 'jsonb' })
  params: Record<string, unknown>;

  @Column({ type: 'integer' })
  maxQueries: number;

  /**
   * Interactive-GNMax: the querying party's student prediction for each query (by ordinal), in vote units (Scalable
   * PATE Alg. 2); the threshold test is applied to the votes minus it. Read only by the guardian, when it runs the job.
   */
  @Column({ type: 'jsonb', nullable: true, select: false })
  baselines: number[][] | null;

  /** Fewest teachers that must have voted for a query to be answered. */
  @Column({ type: 'integer', default: 1 })
  quorum: number;

  @Index()
  @Column({ type: 'varchar', length: 24, default: 'queued' })
  status: JobStatus;

  @Column({ type: 'integer', default: 0 })
  queriesAnswered: number;

  @Column({ type: 'integer', default: 0 })
  queriesRefused: number;

  @Column({ type: 'varchar', length: 64, nullable: true })
  errorCode: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
