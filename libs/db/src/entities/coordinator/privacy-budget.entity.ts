import {
  Column,
  CreateDateColumn,
  Entity,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
  type Relation,
} from 'typeorm';
import { ConsortiumDatasetEntity } from './consortium-dataset.entity.js';

export type EpsilonConversion = 'basic' | 'improved';

/**
 * Per-order RDP as jsonb. JSON has no Infinity (a non-private release, or an overflow): it is written as null, and
 * anything read back that is not a finite number counts as Infinity — fail toward less privacy, never toward 0.
 */
const rdpColumn = {
  to: (value: number[]) => value,
  from: (value: unknown[] | null) =>
    value?.map((x) => (typeof x === 'number' && Number.isFinite(x) ? x : Infinity)) ?? value,
};

/**
 * A privacy budget (ε, δ) on a consortium dataset. Charged by every job that queries teachers trained
 * on the dataset; the ledger is the truth, `rdpSpent` a per-order running sum kept under the row lock.
 */
@Entity('privacy_budget')
export class PrivacyBudgetEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  consortiumDatasetId: string;

  @ManyToOne(() => ConsortiumDatasetEntity, { onDelete: 'RESTRICT' })
  consortiumDataset: Relation<ConsortiumDatasetEntity>;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'double precision' })
  epsilonLimit: number;

  @Column({ type: 'double precision' })
  delta: number;

  @Column({ type: 'varchar', length: 16, default: 'improved' })
  conversion: EpsilonConversion;

  /** The RDP orders the accountant tracks (stored explicitly; never regenerated). */
  @Column({ type: 'jsonb' })
  orders: number[];

  /** Per-order total RDP of every ledger entry of this budget, as charged (data-dependent where allowed). */
  @Column({ type: 'jsonb', transformer: rdpColumn })
  rdpSpent: number[];

  /**
   * The same total with every entry at its data-independent bound: the publishable figure (the
   * data-dependent one is a function of private votes).
   */
  @Column({ type: 'jsonb', transformer: rdpColumn })
  rdpSpentDataIndependent: number[];

  @Column({ type: 'integer', default: 0 })
  entries: number;

  @VersionColumn()
  version: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
