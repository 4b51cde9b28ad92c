import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Evidence that a dataset's teachers (and optionally its data) were discarded, by whom and when. */
@Entity('discard_record')
export class DiscardRecordEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column({ type: 'varchar', length: 200 })
  datasetName: string;

  @Column({ type: 'integer' })
  modelsDeleted: number;

  /** SHA-256 of each deleted model's weights. */
  @Column({ type: 'jsonb' })
  deletedModelHashes: string[];

  @Column({ type: 'boolean', default: false })
  dataDeleted: boolean;

  @Column({ type: 'uuid', nullable: true })
  requestedByKeyId: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  requestedByRole: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  reason: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
