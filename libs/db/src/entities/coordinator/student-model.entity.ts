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
import { ConsortiumDatasetEntity } from './consortium-dataset.entity.js';

/**
 * training → trained → accepted (the deployed version of its dataset) → superseded (a later version was accepted);
 * training → failed (with an error code). 'rejected' is kept for rows of earlier versions of the schema.
 */
export type StudentStatus = 'training' | 'trained' | 'accepted' | 'superseded' | 'rejected' | 'failed';

/** What a training run asked for (unset values take libs/ml's defaults). */
export interface StudentTrainingRequest {
  architecture?: 'cnn' | 'mlp';
  method?: 'supervised' | 'fixmatch';
  preset?: 'quick' | 'full';
  epochs?: number;
  seed?: number;
}

/** Training progress as last reported (fraction in [0, 1]). */
export interface StudentProgressRecord {
  fraction: number;
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  pseudoLabelRate: number;
}

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

  /** The held-out labeled set the student is evaluated on (an unlabeled dataset of purpose 'evaluation'). */
  @Column({ type: 'uuid', nullable: true })
  evaluationDatasetId: string | null;

  /** Numbered per dataset: 1, 2, … */
  @Column({ type: 'integer' })
  version: number;

  @Index()
  @Column({ type: 'varchar', length: 16, default: 'training' })
  status: StudentStatus;

  /** The querying party that asked for it (null when an operator did), and the key that did. */
  @Column({ type: 'uuid', nullable: true })
  requestedByPartyId: string | null;

  @Column({ type: 'uuid', nullable: true })
  requestedByKeyId: string | null;

  @Column({ type: 'jsonb', nullable: true })
  trainingRequest: StudentTrainingRequest | null;

  /** The method and architecture actually used (known once trained). */
  @Column({ type: 'varchar', length: 16, nullable: true })
  method: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  architecture: string | null;

  @Column({ type: 'jsonb', nullable: true })
  progress: StudentProgressRecord | null;

  /** How many times a training run started (a killed process resumes by starting again). */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ type: 'varchar', length: 64, nullable: true })
  errorCode: string | null;

  /** Accuracy on the evaluation dataset, when one was given. */
  @Column({ type: 'double precision', nullable: true })
  evaluationAccuracy: number | null;

  /** Where the exported TensorFlow.js layers model lives, and the SHA-256 of its topology and weights. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  artifactPath: string | null;

  @Column({ type: 'char', length: 64, nullable: true })
  contentHash: string | null;

  /** Data used, job, mechanism, ε, δ, conversion, accuracy. */
  @Column({ type: 'jsonb', nullable: true })
  modelCard: Record<string, unknown> | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  trainedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  acceptedAt: Date | null;

  @Column({ type: 'uuid', nullable: true })
  acceptedByKeyId: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  supersededAt: Date | null;
}
