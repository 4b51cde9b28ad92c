import { Column, CreateDateColumn, Entity, Index, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { ConsortiumDatasetEntity } from './consortium-dataset.entity.js';
import { PartyEntity } from './party.entity.js';

export type UnlabeledFormat = 'csv' | 'jsonl' | 'png' | 'idx';
export type UnlabeledDatasetStatus = 'uploading' | 'ready' | 'failed';
/**
 * 'pool': records to label (labeling jobs) and the student's unlabeled remainder; 'evaluation': a held-out set
 * with the querying party's own labels, used only to measure the student (never queried).
 */
export type UnlabeledPurpose = 'pool' | 'evaluation';

/** Unlabeled data a querying party submits for labeling (or, labeled, to evaluate the student). */
@Entity('unlabeled_dataset')
export class UnlabeledDatasetEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  ownerPartyId: string;

  @ManyToOne(() => PartyEntity, { onDelete: 'RESTRICT' })
  ownerParty: Relation<PartyEntity>;

  /** The consortium dataset whose declared schema the records follow (null for uploads stored before it was kept). */
  @Index()
  @Column({ type: 'uuid', nullable: true })
  consortiumDatasetId: string | null;

  @ManyToOne(() => ConsortiumDatasetEntity, { onDelete: 'RESTRICT' })
  consortiumDataset: Relation<ConsortiumDatasetEntity>;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 16, default: 'pool' })
  purpose: UnlabeledPurpose;

  @Column({ type: 'varchar', length: 16 })
  format: UnlabeledFormat;

  @Column({ type: 'jsonb' })
  recordSchema: Record<string, unknown>;

  @Column({ type: 'integer', default: 0 })
  recordCount: number;

  @Column({ type: 'varchar', length: 16, default: 'uploading' })
  status: UnlabeledDatasetStatus;

  /** SHA-256 of the uploaded bytes. */
  @Column({ type: 'char', length: 64, nullable: true })
  contentHash: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
