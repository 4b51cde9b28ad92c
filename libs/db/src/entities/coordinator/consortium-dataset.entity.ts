import { Column, CreateDateColumn, Entity, Index, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { ConsortiumEntity } from './consortium.entity.js';

export type LabelKind = 'single-label' | 'multi-label';

/**
 * A private dataset held jointly by the consortium's data owners (each owner's partitions stay in
 * its teacher service). Privacy budgets are charged per consortium dataset.
 */
@Entity('consortium_dataset')
@Index(['consortiumId', 'name'], { unique: true })
export class ConsortiumDatasetEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  consortiumId: string;

  @ManyToOne(() => ConsortiumEntity, { onDelete: 'RESTRICT' })
  consortium: Relation<ConsortiumEntity>;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'integer' })
  numClasses: number;

  @Column({ type: 'varchar', length: 16, default: 'single-label' })
  labelKind: LabelKind;

  /** Declared record schema (feature shape and types), shared by owners and querying parties. */
  @Column({ type: 'jsonb' })
  recordSchema: Record<string, unknown>;

  /** Set when the teachers have been discarded: no job may query them afterwards. */
  @Column({ type: 'timestamptz', nullable: true })
  teachersDiscardedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
