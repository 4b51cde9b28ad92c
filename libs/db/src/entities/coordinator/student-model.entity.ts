import { Column, CreateDateColumn, Entity, Index, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { ConsortiumDatasetEntity } from './consortium-dataset.entity.js';

export type StudentStatus = 'training' | 'trained' | 'accepted' | 'rejected' | 'failed';

/** A versioned student model: the only model Conclave ever deploys. */
@Entity('student_model')
@Index(['consortiumDatasetId', 'version'], { unique: true })
export class StudentModelEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  consortiumDatasetId: string;

  @ManyToOne(() => ConsortiumDatasetEntity, { onDelete: 'RESTRICT' })
  consortiumDataset: Relation<ConsortiumDatasetEntity>;

  @Column({ type: 'uuid', nullable: true })
  jobId: string | null;

  @Column({ type: 'integer' })
  version: number;

  @Column({ type: 'varchar', length: 16, default: 'training' })
  status: StudentStatus;

  /** Where the exported TensorFlow.js layers model lives, and the SHA-256 of its weights. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  artifactPath: string | null;

  @Column({ type: 'char', length: 64, nullable: true })
  contentHash: string | null;

  /** Data used, job, mechanism, ε, δ, conversion, accuracy. */
  @Column({ type: 'jsonb', nullable: true })
  modelCard: Record<string, unknown> | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  acceptedAt: Date | null;
}
