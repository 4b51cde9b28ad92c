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
  /** At most one charge per query: an item whose query was charged before is `alreadyCharged`. Null: no query. */
  queryId: string | null;
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
  /** Ledger sequence numbers of the items charged now and of those charged before (aligned with the index lists). */
  sequences: { charged: number[]; alreadyCharged: number[] };
  /** ε as charged once this batch's charges are in (not rounded: for the guardian's own use); null if none was. */
  epsilonAfter: number | null;
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

  /**
   * One query through the budget filter: chargeAndReleaseBatch with a single item, so that one piece of code holds
   * the privacy invariants (row lock, prospective ε, refuse or append, release only after the ledger entry, commit).
   */
  async chargeAndRelease<T>(request: ChargeRequest<T>): Promise<ChargeOutcome<T>> {
    const outcome = await this.chargeAndReleaseBatch({
      budgetId: request.budgetId,
      jobId: request.jobId,
      items: [{ queryId: request.queryId, event: request.event, checkEvent: request.checkEvent }],
      // The release runs only for a charged item: never for one refused or charged before.
      release: async (tx, charged) => (charged.length === 1 ? { value: await request.release(tx) } : null),
      onRefused: request.onRefused ? (tx) => request.onRefused!(tx) : undefined,
    });
    if (outcome.refused) return { status: 'refused-budget', prospectiveEpsilon: outcome.refused.prospectiveEpsilon };
    if (outcome.alreadyCharged.length === 1) {
      return { status: 'already-charged', sequence: outcome.sequences.alreadyCharged[0]! };
    }
    return {
      status: 'charged',
      sequence: outcome.sequences.charged[0]!,
      epsilonAfter: outcome.epsilonAfter!,
      released: outcome.released!.value,
    };
  }

  /**
   * The budget filter for a batch of queries, in one transaction and a fixed number of statements: lock the budget
   * row, then for each item in order compute the prospective ε on the budget as spent by the items before it, and
   * stop at the first that would exceed it (refused); append the ledger entries of the items that fit, write their
   * releases, record the refusal, commit. Each query's charge and outcome commit together, under the row lock, at
   * most once per query; labels are released only by the commit, after their costs.
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
        items.flatMap((item) => (item.queryId === null ? [] : [item.queryId])),
      );
      const accountant = this.accountantFor(budget.orders);
      // Each distinct event's RDP curve is computed once per batch: a query's check event is often its event, and
      // the data-independent bound of a mechanism is the same for every query.
      const curves = new Map<string, Float64Array>();
      const curveOf = (event: DpEvent): Float64Array => {
        const key = JSON.stringify(event);
        let curve = curves.get(key);
        if (!curve) {
          curve = accountant.eventRdp(event);
          curves.set(key, curve);
        }
        return curve;
      };
      const spent = Float64Array.from(budget.rdpSpent);
      const spentDataIndependent = Float64Array.from(budget.rdpSpentDataIndependent);
      const prospective = new Float64Array(spent.length);
      const charges: LedgerCharge[] = [];
      const charged: number[] = [];
      const alreadyCharged: number[] = [];
      const previousSequences: number[] = [];
      let refused: BatchChargeOutcome<T>['refused'] = null;
      const isNew = (item: (typeof items)[number]) => item.queryId === null || !previously.has(item.queryId);
      const allFit = this.batchFits(budget, spent, items.filter(isNew), curveOf);
      for (const [index, item] of items.entries()) {
        const previous = item.queryId === null ? undefined : previously.get(item.queryId);
        if (previous !== undefined) {
          alreadyCharged.push(index);
          previousSequences.push(previous);
          continue;
        }
        if (!allFit) {
          addCurves(spent, curveOf(item.checkEvent ?? item.event), prospective);
          const prospectiveEpsilon = this.epsilonOf(budget, prospective);
          if (prospectiveEpsilon > budget.epsilonLimit) {
            refused = { index, prospectiveEpsilon: roundEpsilonUp(prospectiveEpsilon) };
            break;
          }
        }
        const independent = isDataDependentEvent(item.event) ? dataIndependentEvent(item.event) : item.event;
        addCurves(spent, curveOf(item.event), spent);
        addCurves(spentDataIndependent, curveOf(independent), spentDataIndependent);
        charges.push({
          jobId: request.jobId,
          queryId: item.queryId,
          event: item.event as unknown as Record<string, unknown>,
        });
        charged.push(index);
      }
      const sequences = await this.budgets.appendCharges(tx, budget, charges, {
        rdpSpent: Array.from(spent),
        rdpSpentDataIndependent: Array.from(spentDataIndependent),
      });
      const released = await request.release(tx, charged);
      if (refused) await request.onRefused?.(tx, refused.index);
      return {
        charged,
        alreadyCharged,
        sequences: { charged: sequences, alreadyCharged: previousSequences },
        epsilonAfter: charged.length > 0 ? this.epsilonOf(budget, spent) : null,
        refused,
        released,
      };
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

  /**
   * Whether every item of a batch passes its check, decided with one conversion: each item's prospective spend
   * (spent before it + its check curve) is, order by order, at most spent + Σ max(event, 0) + max(check), and ε is
   * nondecreasing in every order's RDP (both conversions, see libs/dp rdp-conversion). True only if that bound fits
   * the limit; otherwise (or for a single item) the items are checked one by one, exactly as without this.
   */
  private batchFits(
    budget: PrivacyBudgetEntity,
    spent: Float64Array,
    items: ReadonlyArray<{ event: DpEvent; checkEvent: DpEvent | null }>,
    curveOf: (event: DpEvent) => Float64Array,
  ): boolean {
    if (items.length < 2) return false;
    const bound = Float64Array.from(spent);
    const maxCheck = new Float64Array(spent.length);
    for (const item of items) {
      const event = curveOf(item.event);
      const check = curveOf(item.checkEvent ?? item.event);
      for (let i = 0; i < bound.length; i++) {
        bound[i] += Math.max(event[i]!, 0);
        maxCheck[i] = Math.max(maxCheck[i]!, check[i]!);
      }
    }
    addCurves(bound, maxCheck, bound);
    return this.epsilonOf(budget, bound) <= budget.epsilonLimit;
  }

  private epsilonOf(budget: PrivacyBudgetEntity, rdp: ArrayLike<number>): number {
    return this.conversion(budget, rdp).value;
  }

  private conversion(budget: PrivacyBudgetEntity, rdp: ArrayLike<number>): { value: number; order: number | null } {
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

/** target = a + b, order by order (target may be a). */
function addCurves(a: ArrayLike<number>, b: ArrayLike<number>, target: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] = a[i]! + b[i]!;
}
