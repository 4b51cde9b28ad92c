import { Column, CreateDateColumn, Entity, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { PartyEntity } from './party.entity.js';

export type UnlabeledFormat = 'csv' | 'jsonl' | 'png' | 'idx';
export type UnlabeledDatasetStatus = 'uploading' | 'ready' | 'failed';

/** Unlabeled data a querying party submits for labeling. */
@Entity('unlabeled_dataset')
export class UnlabeledDatasetEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  ownerPartyId: string;

  @ManyToOne(() => PartyEntity, { onDelete: 'RESTRICT' })
  ownerParty: Relation<PartyEntity>;

  @Column({ type: 'varchar', length: 200 })
  name: string;

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
