import { Column, CreateDateColumn, Entity, Index, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { PartitionEntity } from './partition.entity.js';

export type TeacherModelStatus = 'training' | 'ready' | 'failed' | 'discarded';

/** The teacher trained on one partition. Weights are deleted on discard; the row stays as a record. */
@Entity('teacher_model')
export class TeacherModelEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column({ type: 'uuid' })
  partitionId: string;

  @ManyToOne(() => PartitionEntity, { onDelete: 'CASCADE' })
  partition: Relation<PartitionEntity>;

  @Column({ type: 'varchar', length: 32 })
  architecture: string;

  @Column({ type: 'jsonb' })
  hyperparameters: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16, default: 'training' })
  status: TeacherModelStatus;

  /** TensorFlow.js weights; NULL once discarded. */
  @Column({ type: 'bytea', nullable: true })
  weights: Buffer | null;

  @Column({ type: 'jsonb', nullable: true })
  topology: Record<string, unknown> | null;

  /** SHA-256 of the topology and weights (libs/ml modelContentHash), kept after discard as evidence of what was deleted. */
  @Column({ type: 'char', length: 64, nullable: true })
  contentHash: string | null;

  @Column({ type: 'jsonb', nullable: true })
  metrics: Record<string, unknown> | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  discardedAt: Date | null;
}
