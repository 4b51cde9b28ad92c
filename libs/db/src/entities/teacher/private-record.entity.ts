import { Column, Entity, Index, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { PartitionEntity } from './partition.entity.js';

/** One private training record. It never leaves the teacher service. */
@Entity('private_record')
@Index(['partitionId', 'ordinal'], { unique: true })
export class PrivateRecordEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  partitionId: string;

  @ManyToOne(() => PartitionEntity, { onDelete: 'CASCADE' })
  partition: Relation<PartitionEntity>;

  @Column({ type: 'integer' })
  ordinal: number;

  /** Packed little-endian Float32Array. */
  @Column({ type: 'bytea' })
  features: Buffer;

  /** Class index, or the list of positive labels for multi-label data. */
  @Column({ type: 'jsonb' })
  label: number | number[];
}
