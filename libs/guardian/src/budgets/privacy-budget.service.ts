import { Injectable } from '@nestjs/common';
import { DomainError } from '@conclave/common';
import {
  dataIndependentEvent,
  epsilonFromRdp,
  isDataDependentEvent,
  PATE_2018_ORDERS,
  RdpAccountant,
  roundEpsilonUp,
  validateDpEvent,
  type DpEvent,
} from '@conclave/dp';
import {
  PrivacyBudgetRepository,
  type EpsilonConversion,
  type LedgerCharge,
  type PrivacyBudgetEntity,
  type TransactionContext,
} from '@conclave/db';

export interface CreateBudgetInput {
  consortiumDatasetId: string;
  name: string;
  epsilonLimit: number;
  delta: number;
  conversion?: EpsilonConversion;
  /** Rényi orders to track; default: the 298 orders of Scalable PATE. Stored with the budget. */
  orders?: readonly number[];
}

export interface ChargeRequest<T> {
  budgetId: string;
  jobId: string | null;
  /** At most one charge per query: a resumed job that charges it again gets `already-charged`. */
  queryId: string | null;
  /** What is charged to the ledger. */
  event: DpEvent;
  /**
   * What the budget is checked against, when it differs from `event`: the worst case of the mechanism
   * (e.g. Confident-GNMax's threshold step *and* GNMax step), so that whether a query is refused does not
   * depend on the noisy outcome that the realised `event` reflects.
   */
  checkEvent?: DpEvent;
  /** Writes the release (the label) in the same transaction, after the ledger entry. */
  release: (tx: TransactionContext) => Promise<T>;
  /** Records the refusal (e.g. marks the query refused) in the same transaction. */
  onRefused?: (tx: TransactionContext) => Promise<void>;
}

export type ChargeOutcome<T> =
  | { status: 'charged'; sequence: number; epsilonAfter: number; released: T }
  | { status: 'already-charged'; sequence: number }
  | { status: 'refused-budget'; prospectiveEpsilon: number };

/** One query of a batch charge. */
export interface BatchChargeItem {
  queryId: string;
  event: DpEvent;
  /** As in ChargeRequest: the worst case the budget is checked against, when it differs from `event`. */
  checkEvent?: DpEvent;
}

export interface BatchChargeRequest<T> {
  budgetId: string;
  jobId: string | null;
  /** Charged in this order, each checked against the budget as spent by the items before it. */
  items: BatchChargeItem[];
  /** Writes the releases of the items charged now (their indexes, in order), after their ledger entries. */
  release: (tx: TransactionContext, charged: number[]) => Promise<T>;
  /** Records the refusal of the item at `index`, the first that would have exceeded the budget. */
  onRefused?: (tx: TransactionContext, index: number) => Promise<void>;
}

export interface BatchChargeOutcome<T> {
  /** Indexes of the items charged (and released) now, in order. */
  charged: number[];
  /** Indexes of items charged before (a resumed job): neither charged nor released again. */
  alreadyCharged: number[];
  /** The first item refused for lack of budget; the items after it were not attempted and stay as they were. */
  refused: { index: number; prospectiveEpsilon: number } | null;
  released: T;
}

export interface BudgetStatus {
  id: string;
  name: string;
  epsilonLimit: number;
  delta: number;
  conversion: EpsilonConversion;
  /**
   * ε spent at the data-independent bound of every release, rounded up: safe to publish, and what the
   * budget is shown as.
   */
  epsilonDataIndependent: number;
  optimalOrderDataIndependent: number | null;
  /**
   * ε as charged (data-dependent where the analysis allows): a function of private votes, so NOT safe to
   * publish as it is — only through a smooth-sensitivity release. For the guardian's own use.
   */
  epsilonCharged: number;
  epsilonRemaining: number;
  ledgerEntries: number;
}

/**
 * The privacy budget as a filter (OpenDP style): in one transaction, lock the budget row, compute the
 * prospective ε, refuse or append the DP event to the ledger, write the release, commit. A label is never
 * released before its cost is durably recorded, and a query that would exceed the budget is refused
 * before anything is released.
 */
@Injectable()
export class PrivacyBudgetService {
  /** One accountant per order list, used only to compute event curves (with its caches). */
  private readonly curves = new Map<string, RdpAccountant>();

  constructor(private readonly budgets: PrivacyBudgetRepository) {}

  async create(input: CreateBudgetInput): Promise<PrivacyBudgetEntity> {
    if (!(input.epsilonLimit > 0 && Number.isFinite(input.epsilonLimit))) {
      throw new DomainError('VALIDATION_FAILED', 'epsilonLimit must be a positive finite number');
    }
    if (!(input.delta > 0 && input.delta < 1)) throw new DomainError('VALIDATION_FAILED', 'delta must be in (0, 1)');
    const orders = input.orders ?? PATE_2018_ORDERS;
    this.accountantFor(orders); // validates the orders
    return this.budgets.create({ ...input, conversion: input.conversion ?? 'improved', orders });
  }

  async chargeAndRelease<T>(request: ChargeRequest<T>): Promise<ChargeOutcome<T>> {
    const event = this.validated(request.event);
    const checkEvent = request.checkEvent ? this.validated(request.checkEvent) : event;
    return this.budgets.transaction(async (tx) => {
      const budget = await this.budgets.lockForCharge(tx, request.budgetId);
      if (!budget) throw new DomainError('NOT_FOUND', 'No such privacy budget');
      if (request.queryId) {
        const previous = await this.budgets.findChargeForQuery(tx, request.queryId);
        if (previous) return { status: 'already-charged', sequence: previous.sequence };
      }
      const accountant = this.accountantFor(budget.orders);
      const prospective = this.epsilonOf(budget, addCurves(budget.rdpSpent, accountant.eventRdp(checkEvent)));
      if (prospective > budget.epsilonLimit) {
        await request.onRefused?.(tx);
        return { status: 'refused-budget', prospectiveEpsilon: roundEpsilonUp(prospective) };
      }
      const rdpSpentAfter = addCurves(budget.rdpSpent, accountant.eventRdp(event));
      const independent = isDataDependentEvent(event) ? dataIndependentEvent(event) : event;
      const entry = await this.budgets.appendCharge(tx, budget, {
        jobId: request.jobId,
        queryId: request.queryId,
        event: event as unknown as Record<string, unknown>,
        rdpSpentAfter,
        rdpSpentDataIndependentAfter: addCurves(budget.rdpSpentDataIndependent, accountant.eventRdp(independent)),
      });
      const released = await request.release(tx);
      return {
        status: 'charged',
        sequence: entry.sequence,
        epsilonAfter: this.epsilonOf(budget, rdpSpentAfter),
        released,
      };
    });
  }

  /**
   * chargeAndRelease for a batch of queries, in one transaction and a fixed number of statements: lock the budget
   * row, then for each item in order compute the prospective ε on the budget as spent by the items before it, and
   * stop at the first that would exceed it (refused); append the ledger entries of the items that fit, write their
   * releases, record the refusal, commit. Each query's charge and outcome still commit together, under the row
   * lock, at most once per query; labels are released only by the commit, after their costs.
   */
  async chargeAndReleaseBatch<T>(request: BatchChargeRequest<T>): Promise<BatchChargeOutcome<T>> {
    const items = request.items.map((item) => ({
      queryId: item.queryId,
      event: this.validated(item.event),
      checkEvent: item.checkEvent ? this.validated(item.checkEvent) : null,
    }));
    return this.budgets.transaction(async (tx) => {
      const budget = await this.budgets.lockForCharge(tx, request.budgetId);
      if (!budget) throw new DomainError('NOT_FOUND', 'No such privacy budget');
      const previously = await this.budgets.findChargedQueries(
        tx,
        items.map((item) => item.queryId),
      );
      const accountant = this.accountantFor(budget.orders);
      let spent: number[] = budget.rdpSpent;
      let spentDataIndependent: number[] = budget.rdpSpentDataIndependent;
      const charges: LedgerCharge[] = [];
      const charged: number[] = [];
      const alreadyCharged: number[] = [];
      let refused: BatchChargeOutcome<T>['refused'] = null;
      for (const [index, item] of items.entries()) {
        if (previously.has(item.queryId)) {
          alreadyCharged.push(index);
          continue;
        }
        const prospective = this.epsilonOf(
          budget,
          addCurves(spent, accountant.eventRdp(item.checkEvent ?? item.event)),
        );
        if (prospective > budget.epsilonLimit) {
          refused = { index, prospectiveEpsilon: roundEpsilonUp(prospective) };
          break;
        }
        const independent = isDataDependentEvent(item.event) ? dataIndependentEvent(item.event) : item.event;
        spent = addCurves(spent, accountant.eventRdp(item.event));
        spentDataIndependent = addCurves(spentDataIndependent, accountant.eventRdp(independent));
        charges.push({
          jobId: request.jobId,
          queryId: item.queryId,
          event: item.event as unknown as Record<string, unknown>,
          rdpSpentAfter: spent,
          rdpSpentDataIndependentAfter: spentDataIndependent,
        });
        charged.push(index);
      }
      await this.budgets.appendCharges(tx, budget, charges);
      const released = await request.release(tx, charged);
      if (refused) await request.onRefused?.(tx, refused.index);
      return { charged, alreadyCharged, refused, released };
    });
  }

  async status(budgetId: string): Promise<BudgetStatus> {
    const budget = await this.budgets.findById(budgetId);
    if (!budget) throw new DomainError('NOT_FOUND', 'No such privacy budget');
    const empty = { value: 0, order: null };
    const charged = budget.entries === 0 ? empty : this.conversion(budget, budget.rdpSpent);
    const independent = budget.entries === 0 ? empty : this.conversion(budget, budget.rdpSpentDataIndependent);
    const epsilonCharged = roundEpsilonUp(charged.value);
    return {
      id: budget.id,
      name: budget.name,
      epsilonLimit: budget.epsilonLimit,
      delta: budget.delta,
      conversion: budget.conversion,
      epsilonDataIndependent: roundEpsilonUp(independent.value),
      optimalOrderDataIndependent: independent.order,
      epsilonCharged,
      epsilonRemaining: Math.max(0, budget.epsilonLimit - epsilonCharged),
      ledgerEntries: budget.entries,
    };
  }

  /** Recomputes a budget's per-order RDP from its ledger: the stored events are the truth. */
  async recomputeFromLedger(budgetId: string): Promise<{ rdp: number[]; epsilon: number }> {
    const budget = await this.budgets.findById(budgetId);
    if (!budget) throw new DomainError('NOT_FOUND', 'No such privacy budget');
    const accountant = new RdpAccountant({ orders: budget.orders });
    for (const entry of await this.budgets.ledger(budgetId)) {
      accountant.compose(validateDpEvent(entry.event));
    }
    const rdp = Array.from(accountant.rdp());
    return { rdp, epsilon: budget.entries === 0 ? 0 : this.epsilonOf(budget, rdp) };
  }

  private epsilonOf(budget: PrivacyBudgetEntity, rdp: readonly number[]): number {
    return this.conversion(budget, rdp).value;
  }

  private conversion(budget: PrivacyBudgetEntity, rdp: readonly number[]): { value: number; order: number | null } {
    const result = epsilonFromRdp(budget.orders, rdp, budget.delta, budget.conversion);
    // Fail toward less privacy: anything that is not a finite number counts as a non-private release.
    return Number.isFinite(result.value)
      ? { value: result.value, order: result.order }
      : { value: Infinity, order: null };
  }

  private accountantFor(orders: readonly number[]): RdpAccountant {
    const key = orders.join(',');
    let accountant = this.curves.get(key);
    if (!accountant) {
      accountant = new RdpAccountant({ orders });
      if (this.curves.size > 32) this.curves.clear();
      this.curves.set(key, accountant);
    }
    return accountant;
  }

  private validated(event: unknown): DpEvent {
    try {
      return validateDpEvent(event);
    } catch {
      // The validator's message may quote a vote count: private, so it never leaves this process.
      throw new DomainError('VALIDATION_FAILED', 'Invalid DP event');
    }
  }
}

function addCurves(a: readonly number[], b: ArrayLike<number>): number[] {
  return a.map((value, i) => value + b[i]!);
}
