// The accountant contract (google/differential-privacy dp_accounting.PrivacyAccountant): supports / compose /
// getEpsilon / getDelta. compose validates first and changes state only if the event is fully accounted.

import type { DpEvent } from '../events/dp-event.js';
import type { RdpConversion } from './rdp-conversion.js';

export interface EpsilonReport {
  /** Infinity when a non-private event was composed; 0 when nothing with a cost was composed. */
  readonly epsilon: number;
  readonly delta: number;
  /** The optimal Renyi order, or null when epsilon is 0 (nothing charged) or Infinity. */
  readonly order: number | null;
  /** 'low' / 'high' when the optimal order is the smallest / largest stored order: the list should be widened. */
  readonly orderAtEdge: 'low' | 'high' | null;
  readonly conversion: RdpConversion;
}

export interface DeltaReport {
  readonly delta: number;
  readonly epsilon: number;
  readonly order: number | null;
  readonly orderAtEdge: 'low' | 'high' | null;
  readonly conversion: RdpConversion;
}

export interface PrivacyAccountant {
  /** True when compose(event) would account for the event (well-formed and of a kind this accountant handles). */
  supports(event: unknown): boolean;
  /** Composes count repetitions of event; throws DpEventError without changing state if it is refused. */
  compose(event: DpEvent, count?: number): this;
  getEpsilon(delta: number, conversion?: RdpConversion): EpsilonReport;
  getDelta(epsilon: number, conversion?: RdpConversion): DeltaReport;
}
