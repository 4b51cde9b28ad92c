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
import { PartyEntity } from './party.entity.js';

export type TeacherDiscardStatus = 'pending' | 'done' | 'failed';

/**
 * The guardian's instruction to one data owner's teacher service to discard the teachers of a dataset, and what
 * the service confirmed. One row per (dataset, data owner): a repeated request re-opens only a failed row. The
 * evidence itself is in the append-only audit log.
 */
@Entity('teacher_discard')
@Index(['consortiumDatasetId', 'partyId'], { unique: true })
export class TeacherDiscardEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  consortiumDatasetId: string;

  @ManyToOne(() => ConsortiumDatasetEntity, { onDelete: 'RESTRICT' })
  consortiumDataset: Relation<ConsortiumDatasetEntity>;

  /** The data owner (its teacher service). */
  @Column({ type: 'uuid' })
  partyId: string;

  @ManyToOne(() => PartyEntity, { onDelete: 'RESTRICT' })
  party: Relation<PartyEntity>;

  /** The accepted student that asked for the discard. */
  @Column({ type: 'uuid', nullable: true })
  studentModelId: string | null;

  /** The key of whoever asked (the accepting admin). */
  @Column({ type: 'uuid', nullable: true })
  requestedByKeyId: string | null;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: TeacherDiscardStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ type: 'varchar', length: 64, nullable: true })
  errorCode: string | null;

  /** As the teacher service confirmed: how many models it deleted, their content hashes, its discard record. */
  @Column({ type: 'integer', nullable: true })
  modelsDeleted: number | null;

  @Column({ type: 'jsonb', nullable: true })
  deletedModelHashes: string[] | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  teacherDiscardId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  requestedAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  completedAt: Date | null;
}
