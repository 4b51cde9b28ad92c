// RDP -> (epsilon, delta) conversions. Every epsilon Conclave reports says which one produced it.
// - 'basic' (Mironov 2017 Prop 3; Scalable PATE Thm 5; core.compute_eps_from_delta): eps = min_a r_a + ln(1/delta)/(a-1).
// - 'improved' (Canonne, Kamath, Steinke 2020 Prop 12 / Asoodeh et al. 2021; rdp_accountant.get_privacy_spent,
//   dp_accounting): per order 0 if delta^2 + expm1(-r_a) >= 0, else r_a + log1p(-1/a) - ln(delta a)/(a-1) for a > 1.01,
//   else Infinity; eps = max(0, min_a).
// The optimal order is the first argmin over the stored (possibly unsorted) list.

import { DpError } from '../errors/dp-error.js';
import type { Orders } from '../analysis/rdp-orders-check.js';

export type RdpConversion = 'basic' | 'improved';

export interface ConversionResult {
  readonly value: number;
  /** Index into the orders list of the optimal order (first argmin). */
  readonly index: number;
  readonly order: number;
}

function checkLengths(orders: Orders, rdp: ArrayLike<number>): void {
  if (orders.length !== rdp.length)
    throw new DpError('INVALID_ARGUMENT', 'RDP conversion: orders and rdp must have the same length');
  if (orders.length === 0) throw new DpError('INVALID_ARGUMENT', 'RDP conversion: orders must not be empty');
}

function checkDelta(delta: number): void {
  if (!(delta > 0 && delta <= 1)) throw new DpError('INVALID_ARGUMENT', `delta must be in (0, 1], got ${delta}`);
}

/** NaN counts as Infinity (no guarantee) so that a broken term can never win the min. */
function finiteOrInf(x: number): number {
  return Number.isNaN(x) ? Infinity : x;
}

/** Basic conversion eps_a = r_a + ln(1/delta)/(a - 1) at one order. */
export function epsilonBasicAt(alpha: number, rdp: number, delta: number): number {
  return finiteOrInf(rdp - Math.log(delta) / (alpha - 1));
}

function epsilonBasicFromLogDelta(alpha: number, rdp: number, logDelta: number): number {
  return finiteOrInf(rdp - logDelta / (alpha - 1));
}

/** Improved conversion at one order (before the final max(0, .)). */
export function epsilonImprovedAt(alpha: number, rdp: number, delta: number): number {
  if (Number.isNaN(rdp)) return Infinity;
  if (delta * delta + Math.expm1(-rdp) >= 0) return 0;
  if (alpha > 1.01) return finiteOrInf(rdp + Math.log1p(-1 / alpha) - Math.log(delta * alpha) / (alpha - 1));
  return Infinity;
}

export function epsilonFromRdp(
  orders: Orders,
  rdp: ArrayLike<number>,
  delta: number,
  conversion: RdpConversion,
): ConversionResult {
  checkLengths(orders, rdp);
  checkDelta(delta);
  // The basic form only needs ln(delta), computed once.
  const at = conversion === 'basic' ? epsilonBasicFromLogDelta : epsilonImprovedAt;
  const d = conversion === 'basic' ? Math.log(delta) : delta;
  let best = 0;
  let bestVal = at(orders[0]!, rdp[0]!, d);
  for (let i = 1; i < orders.length; i++) {
    const v = at(orders[i]!, rdp[i]!, d);
    if (v < bestVal) {
      bestVal = v;
      best = i;
    }
  }
  const value = conversion === 'improved' ? Math.max(0, bestVal) : bestVal;
  return { value, index: best, order: orders[best]! };
}

/** Inverse of the basic conversion: delta_a = exp((a - 1)(r_a - eps)), min over orders, capped at 1. */
export function deltaBasicAt(alpha: number, rdp: number, epsilon: number): number {
  const d = Math.exp((alpha - 1) * (rdp - epsilon));
  return Number.isNaN(d) ? 1 : Math.min(1, d);
}

/**
 * Inverse of the improved conversion at one order: the least delta with epsilonImprovedAt(alpha, r, delta) <= eps,
 * i.e. min(exp((a-1)(r - eps + log1p(-1/a)) - ln a), sqrt(-expm1(-r))) for a > 1.01 (the second term is the delta
 * at which the KL branch already gives 0); capped at 1.
 */
export function deltaImprovedAt(alpha: number, rdp: number, epsilon: number): number {
  if (Number.isNaN(rdp)) return 1;
  let d = epsilon >= 0 ? Math.sqrt(-Math.expm1(-rdp)) : 1;
  if (alpha > 1.01) d = Math.min(d, Math.exp((alpha - 1) * (rdp - epsilon + Math.log1p(-1 / alpha)) - Math.log(alpha)));
  return Number.isNaN(d) ? 1 : Math.min(1, d);
}

export function deltaFromRdp(
  orders: Orders,
  rdp: ArrayLike<number>,
  epsilon: number,
  conversion: RdpConversion,
): ConversionResult {
  checkLengths(orders, rdp);
  if (!(epsilon >= 0)) throw new DpError('INVALID_ARGUMENT', `epsilon must be >= 0, got ${epsilon}`);
  const at = conversion === 'basic' ? deltaBasicAt : deltaImprovedAt;
  let best = 0;
  let bestVal = at(orders[0]!, rdp[0]!, epsilon);
  for (let i = 1; i < orders.length; i++) {
    const v = at(orders[i]!, rdp[i]!, epsilon);
    if (v < bestVal) {
      bestVal = v;
      best = i;
    }
  }
  return { value: bestVal, index: best, order: orders[best]! };
}

/**
 * Epsilon for people: rounded UP to `decimals` decimals, so a displayed budget never understates the loss.
 * Infinity stays Infinity.
 */
export function roundEpsilonUp(epsilon: number, decimals = 2): number {
  if (!(epsilon >= 0)) throw new DpError('INVALID_ARGUMENT', `epsilon must be >= 0, got ${epsilon}`);
  if (epsilon === Infinity) return Infinity;
  const scale = 10 ** decimals;
  let k = Math.ceil(epsilon * scale);
  while (k / scale < epsilon) k++;
  return k / scale;
}
