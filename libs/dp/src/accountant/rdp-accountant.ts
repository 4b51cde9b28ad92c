// Renyi-DP accountant over an explicit, stored list of orders (Mironov 2017; Scalable PATE sect. 3). State is one
// Float64Array of cumulative RDP per order, so charging a query is a single pass over the orders.

import { DpError } from '../errors/dp-error.js';
import { DpEventError, validateDpEvent, type DpEvent } from '../events/dp-event.js';
import { assertOrders, type Orders } from '../analysis/rdp-orders-check.js';
import { ThresholdCurveCache, type ThresholdCurveSource } from '../analysis/confident-gnmax-analysis.js';
import { GnmaxTailCache } from '../analysis/gnmax-analysis.js';
import { addEventRdp, type EventRdpCaches } from './event-rdp.js';
import type { DeltaReport, EpsilonReport, PrivacyAccountant } from './privacy-accountant.js';
import { deltaFromRdp, epsilonFromRdp, type RdpConversion } from './rdp-conversion.js';
import { PATE_2018_ORDERS } from './rdp-orders.js';

export interface RdpAccountantOptions {
  /** Stored Renyi orders (all > 1). Default: the Scalable PATE 298-order list. */
  readonly orders?: Orders;
  /** Conversion used when getEpsilon / getDelta are called without one. Default 'basic' (the papers' tables). */
  readonly defaultConversion?: RdpConversion;
}

export class RdpAccountant implements PrivacyAccountant {
  readonly orders: readonly number[];
  readonly defaultConversion: RdpConversion;
  private readonly rdpState: Float64Array;
  private readonly scratch: Float64Array;
  private readonly minOrder: number;
  private readonly maxOrder: number;
  private composedEvents = 0;
  /** Threshold-step curves by (threshold, sigma1): a guardian charges the same few thousand curves forever. */
  private readonly thresholdCaches = new Map<string, ThresholdCurveCache>();
  private readonly thresholdCurves: ThresholdCurveSource = (threshold, sigma1, roundedMax) => {
    const key = `${threshold}:${sigma1}`;
    let cache = this.thresholdCaches.get(key);
    if (cache === undefined) {
      if (this.thresholdCaches.size >= 16) this.thresholdCaches.clear();
      cache = new ThresholdCurveCache(threshold, sigma1, this.orders, 1024);
      this.thresholdCaches.set(key, cache);
    }
    return cache.get(roundedMax);
  };
  private readonly tailCaches = new Map<number, GnmaxTailCache>();
  private readonly caches: EventRdpCaches = {
    thresholdCurves: this.thresholdCurves,
    gnmaxTails: (sigma) => {
      let c = this.tailCaches.get(sigma);
      if (c === undefined) {
        if (this.tailCaches.size >= 16) this.tailCaches.clear();
        c = new GnmaxTailCache(sigma, 4096);
        this.tailCaches.set(sigma, c);
      }
      return c;
    },
  };

  constructor(options: RdpAccountantOptions = {}) {
    const orders = options.orders ?? PATE_2018_ORDERS;
    assertOrders(orders, 'RdpAccountant');
    this.orders = Object.freeze(Array.from(orders));
    this.defaultConversion = options.defaultConversion ?? 'basic';
    this.rdpState = new Float64Array(this.orders.length);
    this.scratch = new Float64Array(this.orders.length);
    this.minOrder = Math.min(...this.orders);
    this.maxOrder = Math.max(...this.orders);
  }

  supports(event: unknown): boolean {
    try {
      validateDpEvent(event);
      return true;
    } catch {
      return false;
    }
  }

  /** Cumulative RDP per stored order (a copy). */
  rdp(): Float64Array {
    return Float64Array.from(this.rdpState);
  }

  /** Number of compose calls that changed state. */
  get eventCount(): number {
    return this.composedEvents;
  }

  /** RDP curve of count repetitions of event, without changing state (validates first). */
  eventRdp(event: DpEvent, count = 1): Float64Array {
    const curve = new Float64Array(this.orders.length);
    this.fillScratch(event, count, curve);
    return curve;
  }

  compose(event: DpEvent, count = 1): this {
    this.fillScratch(event, count, this.scratch);
    if (count === 0) return this;
    const s = this.scratch;
    const st = this.rdpState;
    for (let i = 0; i < st.length; i++) st[i] = st[i]! + s[i]!;
    this.composedEvents++;
    return this;
  }

  /** Epsilon that composing (event, count) would lead to, without changing state (the budget filter's check). */
  prospectiveEpsilon(event: DpEvent, delta: number, count = 1, conversion?: RdpConversion): EpsilonReport {
    const curve = this.eventRdp(event, count);
    for (let i = 0; i < curve.length; i++) curve[i] = curve[i]! + this.rdpState[i]!;
    return this.epsilonOf(curve, delta, conversion ?? this.defaultConversion);
  }

  getEpsilon(delta: number, conversion?: RdpConversion): EpsilonReport {
    return this.epsilonOf(this.rdpState, delta, conversion ?? this.defaultConversion);
  }

  getDelta(epsilon: number, conversion?: RdpConversion): DeltaReport {
    const conv = conversion ?? this.defaultConversion;
    if (!(epsilon >= 0)) throw new DpError('INVALID_ARGUMENT', `getDelta: epsilon must be >= 0, got ${epsilon}`);
    if (this.isZero(this.rdpState)) return { delta: 0, epsilon, order: null, orderAtEdge: null, conversion: conv };
    if (this.rdpState.every((r) => r === Infinity)) {
      return { delta: 1, epsilon, order: null, orderAtEdge: null, conversion: conv };
    }
    const r = deltaFromRdp(this.orders, this.rdpState, epsilon, conv);
    return { delta: r.value, epsilon, order: r.order, orderAtEdge: this.edge(r.order), conversion: conv };
  }

  private epsilonOf(curve: Float64Array, delta: number, conversion: RdpConversion): EpsilonReport {
    if (!(delta > 0 && delta <= 1))
      throw new DpError('INVALID_ARGUMENT', `getEpsilon: delta must be in (0, 1], got ${delta}`);
    if (this.isZero(curve)) return { epsilon: 0, delta, order: null, orderAtEdge: null, conversion };
    const r = epsilonFromRdp(this.orders, curve, delta, conversion);
    if (r.value === Infinity) return { epsilon: Infinity, delta, order: null, orderAtEdge: null, conversion };
    return { epsilon: r.value, delta, order: r.order, orderAtEdge: this.edge(r.order), conversion };
  }

  private edge(order: number): 'low' | 'high' | null {
    if (order === this.minOrder) return 'low';
    if (order === this.maxOrder) return 'high';
    return null;
  }

  private isZero(curve: Float64Array): boolean {
    for (let i = 0; i < curve.length; i++) if (curve[i] !== 0) return false;
    return true;
  }

  /** Validates, then writes count * RDP(event) into target; throws before touching any state of the accountant. */
  private fillScratch(event: DpEvent, count: number, target: Float64Array): void {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new DpEventError('INVALID_ARGUMENT', `count must be an integer >= 0, got ${count}`);
    }
    const valid = validateDpEvent(event);
    target.fill(0);
    if (count === 0) return;
    try {
      addEventRdp(valid, this.orders, target, count, this.caches);
    } catch (e) {
      target.fill(0);
      throw new DpEventError('INVALID_ARGUMENT', `event could not be accounted: ${(e as Error).message}`);
    }
    for (let i = 0; i < target.length; i++) {
      // Fail toward less privacy: NaN or a clearly negative RDP means the analysis broke down; -1e-12 < r < 0 is rounding.
      const r = target[i]!;
      if (Number.isNaN(r) || r < -1e-12) target[i] = Infinity;
      else if (r < 0) target[i] = 0;
    }
  }
}
