import { Column, CreateDateColumn, Entity, Index, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { PrivacyBudgetEntity } from './privacy-budget.entity.js';

/**
 * Append-only privacy ledger: one row per charged DP event, stored as the event itself (jsonb) so that
 * any past ε can be recomputed. A trigger (see the migration) refuses UPDATE and DELETE.
 */
@Entity('ledger_entry')
@Index(['budgetId', 'sequence'], { unique: true })
export class LedgerEntryEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ type: 'uuid' })
  budgetId: string;

  @ManyToOne(() => PrivacyBudgetEntity, { onDelete: 'RESTRICT' })
  budget: Relation<PrivacyBudgetEntity>;

  /** Position in the budget's ledger (1, 2, …), assigned under the budget row lock. */
  @Column({ type: 'integer' })
  sequence: number;

  @Column({ type: 'uuid', nullable: true })
  jobId: string | null;

  /** At most one charge per query: a resumed job cannot charge a query twice. */
  @Index({ unique: true })
  @Column({ type: 'uuid', nullable: true })
  queryId: string | null;

  @Column({ type: 'jsonb' })
  event: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
