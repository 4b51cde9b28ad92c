import { Column, CreateDateColumn, Entity, OneToOne, JoinColumn, PrimaryColumn, type Relation } from 'typeorm';
import { LabelingJobEntity } from './labeling-job.entity.js';

/**
 * What a confidential (capc) labeling job carries besides its queries: the querying party's HE parameters and
 * public key (the secret key never leaves the querying party) and the public feature extractor it runs.
 */
@Entity('capc_job')
export class CapcJobEntity {
  @PrimaryColumn({ type: 'uuid' })
  jobId: string;

  @OneToOne(() => LabelingJobEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'job_id' })
  job: Relation<LabelingJobEntity>;

  /** libs/crypto heParametersToJson of the parameter set. */
  @Column({ type: 'jsonb' })
  heParameters: Record<string, unknown>;

  /** Seeded public key envelope ("CNHE"). */
  @Column({ type: 'bytea' })
  publicKey: Buffer;

  @Column({ type: 'char', length: 64 })
  publicKeySha256: string;

  /** { id, dimension, featureScale, maxAbsFeature } of the public feature extractor. */
  @Column({ type: 'jsonb' })
  extractor: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
