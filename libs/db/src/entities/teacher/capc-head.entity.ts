import { Column, CreateDateColumn, Entity, Index, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { PartitionEntity } from './partition.entity.js';

/**
 * A confidential-mode (CaPC) head of one partition: a small model on a public extractor's features that the
 * teacher evaluates homomorphically. At most one per partition and kind; replaced when the partition is
 * retrained, deleted when the dataset's teachers are discarded. Private: it is fitted on the partition's records.
 */
@Entity('capc_head')
@Index(['partitionId', 'kind'], { unique: true })
export class CapcHeadEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  partitionId: string;

  @ManyToOne(() => PartitionEntity, { onDelete: 'CASCADE' })
  partition: Relation<PartitionEntity>;

  @Column({ type: 'varchar', length: 16 })
  kind: 'linear' | 'square-mlp';

  /** The public feature extractor the head was trained on (libs/ml `publicFeatureExtractor`), e.g. 'mnist-area8-v1'. */
  @Column({ type: 'varchar', length: 100 })
  extractorId: string;

  @Column({ type: 'integer' })
  classes: number;

  @Column({ type: 'integer' })
  dimension: number;

  /** Square-MLP heads only. */
  @Column({ type: 'integer', nullable: true })
  hiddenUnits: number | null;

  /** float32 little-endian parameters in libs/ml's canonical order (`encodeCapcHead`). */
  @Column({ type: 'bytea' })
  parameters: Buffer;

  /** SHA-256 of the descriptor and the parameters (libs/ml `encodeCapcHead`). */
  @Column({ type: 'char', length: 64 })
  contentHash: string;

  /** Records, epochs, training loss and accuracy, seconds, seed. */
  @Column({ type: 'jsonb' })
  metrics: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
