import { RdpAccountant } from '../accountant/rdp-accountant.js';
import type { RdpConversion } from '../accountant/rdp-conversion.js';
import type { Orders } from '../analysis/rdp-orders-check.js';
import { DpError } from '../errors/dp-error.js';
import type { DpEvent } from '../events/dp-event.js';

/** The mechanism family whose noise is calibrated, charged with its data-independent bound. */
export type CalibrationFamily =
  /** GNMax: searches sigma (RDP alpha / sigma^2 per query). */
  | { readonly kind: 'gnmax' }
  /** Gaussian mechanism: searches sigma (alpha Delta^2 / (2 sigma^2) per query). */
  | { readonly kind: 'gaussian'; readonly sensitivity?: number }
  /** (Continuous) Laplace mechanism: searches the scale. */
  | { readonly kind: 'laplace'; readonly sensitivity?: number }
  /** LNMax: searches the Laplace scale 1/gamma (pure 2 gamma-DP per query). */
  | { readonly kind: 'lnmax' }
  /** Confident-GNMax with a fixed sigma1: searches sigma2. */
  | {
      readonly kind: 'confidentGnmax';
      readonly sigma1: number;
      readonly threshold?: number;
      readonly answeredQueries?: number;
    }
  /**
   * Confident-GNMax with fixed ratios: searches sigma2, with sigma1 = sigma1PerSigma2 * sigma2 and (if given)
   * threshold = thresholdPerSigma1 * sigma1, so T / sigma1 (how often a query is answered) stays fixed.
   */
  | {
      readonly kind: 'confidentGnmax';
      readonly sigma1PerSigma2: number;
      readonly thresholdPerSigma1?: number;
      readonly answeredQueries?: number;
    };

export interface CalibrationRequest {
  readonly family: CalibrationFamily;
  /** Target epsilon: the result never exceeds it. */
  readonly epsilon: number;
  readonly delta: number;
  /** Expected number of queries (compositions of the mechanism). */
  readonly queries: number;
  /** RDP -> (epsilon, delta) conversion. Default 'basic' (the accountant's default, the papers' tables). */
  readonly conversion?: RdpConversion;
  /** Renyi orders of the accountant. Default: the accountant's default (Scalable PATE's 298 orders). */
  readonly orders?: Orders;
  /** Optional: round the noise scale UP to a multiple of this (a short dyadic such as 1/16 keeps samplers exact and fast). */
  readonly granularity?: number;
  /** Relative width at which the bisection stops (default 1e-10). */
  readonly relativeTolerance?: number;
}

export interface CalibrationResult {
  /** The searched scale: sigma (gnmax, gaussian), sigma2 (confidentGnmax), Laplace scale (laplace, lnmax). */
  readonly noiseScale: number;
  /** The parameters to build the mechanism with. */
  readonly parameters: {
    readonly sigma?: number;
    readonly scale?: number;
    readonly gamma?: number;
    readonly sigma1?: number;
    readonly sigma2?: number;
    readonly threshold?: number;
  };
  /** The whole expected composition, as charged during the search. */
  readonly event: DpEvent;
  /** Achieved epsilon at noiseScale: always <= the target. */
  readonly epsilon: number;
  readonly delta: number;
  readonly order: number | null;
  readonly orderAtEdge: 'low' | 'high' | null;
  readonly conversion: RdpConversion;
}

interface Family {
  /** The composed event of all queries at noise scale s. */
  event(s: number): DpEvent;
  parameters(s: number): CalibrationResult['parameters'];
}

const MAX_SCALE = 1e12;
const MIN_SCALE = 1e-12;
const MAX_ITERATIONS = 400;

function positive(x: unknown, name: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || !(x > 0))
    throw new DpError('INVALID_ARGUMENT', `${name} must be a finite number > 0`);
  return x;
}

function count(x: unknown, name: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0)
    throw new DpError('INVALID_ARGUMENT', `${name} must be an integer >= 0`);
  return x;
}

function repeated(event: DpEvent, times: number): DpEvent {
  return { kind: 'selfComposed', event, count: times };
}

function familyOf(family: CalibrationFamily, queries: number): Family {
  if (family === null || typeof family !== 'object') throw new DpError('INVALID_ARGUMENT', 'family is required');
  switch (family.kind) {
    case 'gnmax':
      return {
        event: (s) => repeated({ kind: 'gnmaxDataIndependent', sigma: s }, queries),
        parameters: (s) => ({ sigma: s }),
      };
    case 'gaussian': {
      const sensitivity = positive(family.sensitivity ?? 1, 'sensitivity');
      return {
        event: (s) => repeated({ kind: 'gaussian', sigma: s, sensitivity }, queries),
        parameters: (s) => ({ sigma: s }),
      };
    }
    case 'laplace': {
      const sensitivity = positive(family.sensitivity ?? 1, 'sensitivity');
      return {
        event: (s) => repeated({ kind: 'laplace', scale: s, sensitivity }, queries),
        parameters: (s) => ({ scale: s }),
      };
    }
    case 'lnmax':
      return {
        event: (s) => repeated({ kind: 'lnmax', gamma: 1 / s }, queries),
        parameters: (s) => ({ scale: s, gamma: 1 / s }),
      };
    case 'confidentGnmax': {
      const answered = count(family.answeredQueries ?? queries, 'answeredQueries');
      if (answered > queries) throw new DpError('INVALID_ARGUMENT', 'answeredQueries must be <= queries');
      let sigma1Of: (s: number) => number;
      let thresholdOf: (s: number) => number | undefined;
      if ('sigma1' in family) {
        const sigma1 = positive(family.sigma1, 'sigma1');
        const threshold = family.threshold;
        if (threshold !== undefined && !Number.isFinite(threshold))
          throw new DpError('INVALID_ARGUMENT', 'threshold must be finite');
        sigma1Of = () => sigma1;
        thresholdOf = () => threshold;
      } else {
        const ratio = positive(family.sigma1PerSigma2, 'sigma1PerSigma2');
        const tRatio = family.thresholdPerSigma1;
        if (tRatio !== undefined && !Number.isFinite(tRatio))
          throw new DpError('INVALID_ARGUMENT', 'thresholdPerSigma1 must be finite');
        sigma1Of = (s) => ratio * s;
        thresholdOf = (s) => (tRatio === undefined ? undefined : tRatio * ratio * s);
      }
      return {
        // Data-independent: every query pays the threshold step alpha/(2 sigma1^2); answered ones also alpha/sigma2^2.
        // Without votes the threshold step is charged alpha / (2 sigma1^2) whatever T is; with no T given it is
        // recorded as what it is, a sensitivity-1 Gaussian mechanism on the max vote.
        event: (s) => {
          const threshold = thresholdOf(s);
          const thresholdStep: DpEvent =
            threshold === undefined
              ? { kind: 'gaussian', sigma: sigma1Of(s), sensitivity: 1 }
              : { kind: 'pateThreshold', sigma1: sigma1Of(s), threshold };
          return {
            kind: 'composed',
            events: [repeated(thresholdStep, queries), repeated({ kind: 'gnmaxDataIndependent', sigma: s }, answered)],
          };
        },
        parameters: (s) => {
          const threshold = thresholdOf(s);
          return { sigma1: sigma1Of(s), sigma2: s, ...(threshold === undefined ? {} : { threshold }) };
        },
      };
    }
    default:
      throw new DpError(
        'INVALID_ARGUMENT',
        `unknown calibration family ${JSON.stringify((family as { kind?: unknown }).kind)}`,
      );
  }
}

/** The request checked, and epsilon(scale) for its family (the function the search runs on). */
function prepare(request: CalibrationRequest) {
  if (request === null || typeof request !== 'object') throw new DpError('INVALID_ARGUMENT', 'request is required');
  const target = positive(request.epsilon, 'epsilon');
  const delta = request.delta;
  if (typeof delta !== 'number' || !(delta > 0 && delta < 1))
    throw new DpError('INVALID_ARGUMENT', 'delta must be in (0, 1)');
  const queries = count(request.queries, 'queries');
  if (queries < 1) throw new DpError('INVALID_ARGUMENT', 'queries must be >= 1');
  const conversion = request.conversion ?? 'basic';
  if (conversion !== 'basic' && conversion !== 'improved')
    throw new DpError('INVALID_ARGUMENT', "conversion must be 'basic' or 'improved'");
  const tolerance = request.relativeTolerance ?? 1e-10;
  if (!(tolerance > 0 && tolerance < 1)) throw new DpError('INVALID_ARGUMENT', 'relativeTolerance must be in (0, 1)');
  const granularity = request.granularity === undefined ? undefined : positive(request.granularity, 'granularity');
  const family = familyOf(request.family, queries);
  const accountantOptions = request.orders === undefined ? {} : { orders: request.orders };
  // An empty accountant: prospectiveEpsilon prices an event without changing its state (and validates the orders once).
  const accountant = new RdpAccountant(accountantOptions);
  const evaluate = (s: number) => {
    const report = accountant.prospectiveEpsilon(family.event(s), delta, 1, conversion);
    // Fail toward less privacy: a NaN epsilon counts as missing the target.
    return Number.isNaN(report.epsilon) ? { ...report, epsilon: Infinity } : report;
  };
  return { target, delta, conversion, family, evaluate, tolerance, granularity };
}

/** epsilon of the request's family and query count at a given noise scale (the map calibrateNoise inverts). */
export function epsilonForNoiseScale(request: Omit<CalibrationRequest, 'epsilon'>, noiseScale: number): number {
  const scale = positive(noiseScale, 'noiseScale');
  return prepare({ ...request, epsilon: 1 }).evaluate(scale).epsilon;
}

/**
 * Calibration (google/differential-privacy dp_accounting style): the smallest noise scale s, up to the tolerance,
 * whose data-independent RDP over `queries` compositions converts to epsilon(s) <= target, found by bisection on a
 * bracket that expands by doubling/halving. epsilon(s) is non-increasing in s for every family (each RDP term is
 * decreasing in the scale and both conversions are monotone), and the returned scale is the upper end of the final
 * bracket, whose epsilon was evaluated and found <= target: the result never overshoots. Throws
 * TARGET_UNREACHABLE when even s = 1e12 misses the target (e.g. the basic conversion's floor ln(1/delta)/(a_max - 1),
 * or a fixed sigma1 whose threshold cost alone exceeds it).
 */
export function calibrateNoise(request: CalibrationRequest): CalibrationResult {
  const { target, delta, conversion, family, evaluate, tolerance, granularity } = prepare(request);
  const meets = (s: number) => evaluate(s).epsilon <= target;

  let lo: number;
  let hi: number;
  if (meets(1)) {
    hi = 1;
    lo = 0.5;
    while (meets(lo)) {
      hi = lo;
      lo /= 2;
      if (lo < MIN_SCALE) break; // hi already meets the target with almost no noise
    }
  } else {
    lo = 1;
    hi = 2;
    while (!meets(hi)) {
      lo = hi;
      hi *= 2;
      if (hi > MAX_SCALE) {
        throw new DpError(
          'TARGET_UNREACHABLE',
          `no noise scale up to ${MAX_SCALE} reaches epsilon ${target} at delta ${delta}`,
        );
      }
    }
  }
  // Invariant: meets(hi) and (lo < MIN_SCALE or !meets(lo)).
  for (let i = 0; i < MAX_ITERATIONS && hi - lo > tolerance * hi; i++) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    if (meets(mid)) hi = mid;
    else lo = mid;
  }
  let scale = hi;
  if (granularity !== undefined) {
    scale = Math.ceil(scale / granularity) * granularity;
    while (scale < hi || !meets(scale)) scale += granularity; // guards float rounding of the multiple
  }
  const report = evaluate(scale);
  if (!(report.epsilon <= target)) throw new DpError('INTERNAL', 'calibration result misses its target');
  return {
    noiseScale: scale,
    parameters: family.parameters(scale),
    event: family.event(scale),
    epsilon: report.epsilon,
    delta,
    order: report.order,
    orderAtEdge: report.orderAtEdge,
    conversion,
  };
}
