import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { PrivacyBudgetEntity, type EpsilonConversion } from '../entities/coordinator/privacy-budget.entity.js';
import { LedgerEntryEntity } from '../entities/coordinator/ledger-entry.entity.js';

/** An open coordinator transaction, passed to repositories that must write inside it. */
export interface TransactionContext {
  readonly manager: EntityManager;
}

export interface NewBudget {
  consortiumDatasetId: string;
  name: string;
  epsilonLimit: number;
  delta: number;
  conversion: EpsilonConversion;
  orders: readonly number[];
}

export interface LedgerCharge {
  jobId: string | null;
  queryId: string | null;
  /** The DP event, stored verbatim (jsonb) so any past ε can be recomputed. */
  event: Record<string, unknown>;
  /** The budget's per-order RDP after this charge, as charged and at the data-independent bound. */
  rdpSpentAfter: number[];
  rdpSpentDataIndependentAfter: number[];
}

/** Budgets and their append-only ledger. Writes happen only under the budget's row lock. */
@Injectable()
export class PrivacyBudgetRepository {
  constructor(private readonly dataSource: DataSource) {}

  async create(input: NewBudget): Promise<PrivacyBudgetEntity> {
    return this.dataSource.getRepository(PrivacyBudgetEntity).save({
      ...input,
      orders: [...input.orders],
      rdpSpent: input.orders.map(() => 0),
      rdpSpentDataIndependent: input.orders.map(() => 0),
      entries: 0,
    });
  }

  async findById(id: string): Promise<PrivacyBudgetEntity | null> {
    return this.dataSource.getRepository(PrivacyBudgetEntity).findOneBy({ id });
  }

  /** Runs `work` in one transaction (the only way to reach the locking methods below). */
  async transaction<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work({ manager }));
  }

  /** SELECT … FOR UPDATE: concurrent chargers of one budget queue here, on any number of hosts. */
  async lockForCharge(tx: TransactionContext, budgetId: string): Promise<PrivacyBudgetEntity | null> {
    return tx.manager
      .getRepository(PrivacyBudgetEntity)
      .findOne({ where: { id: budgetId }, lock: { mode: 'pessimistic_write' } });
  }

  async findChargeForQuery(tx: TransactionContext, queryId: string): Promise<LedgerEntryEntity | null> {
    return tx.manager.getRepository(LedgerEntryEntity).findOneBy({ queryId });
  }

  /** Appends a ledger entry and moves the budget's running RDP; call only with the row locked. */
  async appendCharge(
    tx: TransactionContext,
    budget: PrivacyBudgetEntity,
    charge: LedgerCharge,
  ): Promise<LedgerEntryEntity> {
    const sequence = budget.entries + 1;
    const entry = await tx.manager.getRepository(LedgerEntryEntity).save({
      budgetId: budget.id,
      sequence,
      jobId: charge.jobId,
      queryId: charge.queryId,
      event: charge.event as never, // jsonb: TypeORM's deep-partial typing does not model free-form objects
    });
    await tx.manager.getRepository(PrivacyBudgetEntity).update(
      { id: budget.id },
      {
        rdpSpent: charge.rdpSpentAfter,
        rdpSpentDataIndependent: charge.rdpSpentDataIndependentAfter,
        entries: sequence,
        version: budget.version + 1,
      },
    );
    return entry;
  }

  /** Which of these queries already have a charge (one query for a whole batch). */
  async findChargedQueries(tx: TransactionContext, queryIds: readonly string[]): Promise<Set<string>> {
    if (queryIds.length === 0) return new Set();
    const rows = await tx.manager
      .getRepository(LedgerEntryEntity)
      .find({ where: { queryId: In([...queryIds]) }, select: { id: true, queryId: true } });
    return new Set(rows.map((r) => r.queryId!));
  }

  /**
   * Appends several ledger entries, in order, with one INSERT, and moves the budget's running RDP once, to the
   * curves after the last of them; call only with the row locked. Returns the entries' sequence numbers.
   */
  async appendCharges(tx: TransactionContext, budget: PrivacyBudgetEntity, charges: LedgerCharge[]): Promise<number[]> {
    if (charges.length === 0) return [];
    const sequences = charges.map((_, i) => budget.entries + 1 + i);
    await tx.manager.getRepository(LedgerEntryEntity).insert(
      charges.map((charge, i) => ({
        budgetId: budget.id,
        sequence: sequences[i]!,
        jobId: charge.jobId,
        queryId: charge.queryId,
        event: charge.event as never,
      })),
    );
    const last = charges.at(-1)!;
    await tx.manager.getRepository(PrivacyBudgetEntity).update(
      { id: budget.id },
      {
        rdpSpent: last.rdpSpentAfter,
        rdpSpentDataIndependent: last.rdpSpentDataIndependentAfter,
        entries: sequences.at(-1)!,
        version: budget.version + 1,
      },
    );
    return sequences;
  }

  /** Every event charged to a budget, in ledger order (for recomputation and audit). */
  async ledger(budgetId: string): Promise<LedgerEntryEntity[]> {
    return this.dataSource.getRepository(LedgerEntryEntity).find({ where: { budgetId }, order: { sequence: 'ASC' } });
  }
}
