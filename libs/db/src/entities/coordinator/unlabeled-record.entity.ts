import { Column, Entity, Index, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { UnlabeledDatasetEntity } from './unlabeled-dataset.entity.js';

/**
 * One record; features are a packed little-endian Float32Array. Pool records have no label; an evaluation
 * dataset's records carry the querying party's own class index.
 */
@Entity('unlabeled_record')
@Index(['datasetId', 'ordinal'], { unique: true })
export class UnlabeledRecordEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  datasetId: string;

  @ManyToOne(() => UnlabeledDatasetEntity, { onDelete: 'CASCADE' })
  dataset: Relation<UnlabeledDatasetEntity>;

  @Column({ type: 'integer' })
  ordinal: number;

  @Column({ type: 'bytea' })
  features: Buffer;

  @Column({ type: 'integer', nullable: true })
  label: number | null;
}
