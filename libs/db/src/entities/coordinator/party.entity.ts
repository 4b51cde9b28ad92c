import { Column, CreateDateColumn, Entity, Index, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import type { PartyKind } from '@conclave/contracts';
import { ConsortiumEntity } from './consortium.entity.js';

/** A member of a consortium: a data owner (runs a teacher service), a querying party, or an operator. */
@Entity('party')
@Index(['consortiumId', 'name'], { unique: true })
export class PartyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  consortiumId: string;

  @ManyToOne(() => ConsortiumEntity, { onDelete: 'RESTRICT' })
  consortium: Relation<ConsortiumEntity>;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 32 })
  kind: PartyKind;

  /** Base URL of the party's teacher service (data owners only). */
  @Column({ type: 'varchar', length: 500, nullable: true })
  teacherServiceUrl: string | null;

  /**
   * The key (role `guardian`) the data owner issued to this consortium's guardian on its teacher service.
   * Write-only through the API: no route returns it.
   */
  @Column({ type: 'varchar', length: 100, nullable: true, select: false })
  guardianApiKey: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
