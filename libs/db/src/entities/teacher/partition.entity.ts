import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type PartitionStatus = 'loading' | 'ready' | 'discarded';

/** A disjoint slice of a data owner's private data; one teacher model is trained per partition. */
@Entity('partition')
@Index(['datasetName', 'name'], { unique: true })
export class PartitionEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The consortium dataset this partition contributes to. */
  @Index()
  @Column({ type: 'varchar', length: 200 })
  datasetName: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'jsonb' })
  recordSchema: Record<string, unknown>;

  @Column({ type: 'integer', default: 0 })
  recordCount: number;

  @Column({ type: 'varchar', length: 16, default: 'loading' })
  status: PartitionStatus;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
