import { Column, CreateDateColumn, Entity, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { ConsortiumEntity } from './consortium.entity.js';

/** The consortium's dealer (confidential mode): where it is and the key (role guardian) it issued to the guardian. */
@Entity('capc_dealer')
export class CapcDealerEntity {
  @PrimaryColumn({ type: 'uuid' })
  consortiumId: string;

  @ManyToOne(() => ConsortiumEntity, { onDelete: 'CASCADE' })
  consortium: Relation<ConsortiumEntity>;

  @Column({ type: 'varchar', length: 500 })
  url: string;

  /** Write-only through the API: no route returns it. */
  @Column({ type: 'varchar', length: 100, select: false })
  guardianApiKey: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
