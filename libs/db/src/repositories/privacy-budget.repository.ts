import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
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
}

/** A budget's per-order RDP once charges are in, as charged and at the data-independent bound. */
export interface SpentAfter {
  rdpSpent: number[];
  rdpSpentDataIndependent: number[];
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

  /** The ledger sequence of each of these queries that already has a charge (one query for a whole batch). */
  async findChargedQueries(tx: TransactionContext, queryIds: readonly string[]): Promise<Map<string, number>> {
    if (queryIds.length === 0) return new Map();
    const rows: Array<{ query_id: string; sequence: number }> = await tx.manager.query(
      `SELECT "query_id", "sequence" FROM "ledger_entry" WHERE "query_id" = ANY($1::uuid[])`,
      [queryIds],
    );
    return new Map(rows.map((r) => [r.query_id, r.sequence]));
  }

  /**
   * Appends ledger entries, in order, with one INSERT, and moves the budget's running RDP once, to `spentAfter`
   * (the curves once they are all in); call only with the row locked. Returns the entries' sequence numbers.
   */
  async appendCharges(
    tx: TransactionContext,
    budget: PrivacyBudgetEntity,
    charges: readonly LedgerCharge[],
    spentAfter: SpentAfter,
  ): Promise<number[]> {
    if (charges.length === 0) return [];
    const sequences = charges.map((_, i) => budget.entries + 1 + i);
    // One statement: the ledger rows (one jsonb parameter for the whole batch: TypeORM's multi-row INSERT builder,
    // a parameter per column and row, was one of the guardian's largest CPU costs per batch) and the budget row.
    // JSON has no Infinity: a non-finite RDP is written as null and read back as Infinity (see the entity).
    await tx.manager.query(
      `WITH appended AS (
         INSERT INTO "ledger_entry" ("budget_id", "sequence", "job_id", "query_id", "event")
         SELECT $1, c."sequence", c."job_id", c."query_id", c."event"
           FROM jsonb_to_recordset($2::jsonb) AS c("sequence" integer, "job_id" uuid, "query_id" uuid, "event" jsonb))
       UPDATE "privacy_budget"
          SET "rdp_spent" = $3::jsonb, "rdp_spent_data_independent" = $4::jsonb, "entries" = $5,
              "version" = "version" + 1, "updated_at" = now()
        WHERE "id" = $1`,
      [
        budget.id,
        JSON.stringify(
          charges.map((charge, i) => ({
            sequence: sequences[i]!,
            job_id: charge.jobId,
            query_id: charge.queryId,
            event: charge.event,
          })),
        ),
        JSON.stringify(spentAfter.rdpSpent),
        JSON.stringify(spentAfter.rdpSpentDataIndependent),
        sequences.at(-1)!,
      ],
    );
    return sequences;
  }

  /** Every event charged to a budget, in ledger order (for recomputation and audit). */
  async ledger(budgetId: string): Promise<LedgerEntryEntity[]> {
    return this.dataSource.getRepository(LedgerEntryEntity).find({ where: { budgetId }, order: { sequence: 'ASC' } });
  }
}
