import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only audit log (who did what, when). A trigger refuses UPDATE and DELETE. */
@Entity('audit_event')
export class AuditEventEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Index()
  @CreateDateColumn({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'uuid', nullable: true })
  actorKeyId: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  actorRole: string | null;

  @Index()
  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  targetType: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  targetId: string | null;

  /** Identifiers and counts only; never private values. */
  @Column({ type: 'jsonb' })
  details: Record<string, unknown>;

  @Column({ type: 'varchar', length: 64, nullable: true })
  correlationId: string | null;
}
