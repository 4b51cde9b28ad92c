// DpEvent: a JSON-serialisable record of one privacy-relevant release (google/differential-privacy
// dp_accounting style). Events are stored verbatim in the ledger (jsonb) so any past epsilon can be
// recomputed: kinds are never removed or redefined, only added.

import { DpError, type DpErrorCode } from '../errors/dp-error.js';

/** A release with no privacy cost (e.g. a refused query that revealed nothing). */
export interface NoopDpEvent {
  readonly kind: 'noop';
}

/** A release with no privacy guarantee: any accountant reports epsilon = Infinity. */
export interface NonPrivateDpEvent {
  readonly kind: 'nonPrivate';
}

/** Gaussian mechanism N(0, sigma^2) on a query of L2 sensitivity `sensitivity` (default 1). */
export interface GaussianDpEvent {
  readonly kind: 'gaussian';
  readonly sigma: number;
  readonly sensitivity?: number;
}

/** Laplace mechanism Lap(scale) on a query of L1 sensitivity `sensitivity` (default 1). */
export interface LaplaceDpEvent {
  readonly kind: 'laplace';
  readonly scale: number;
  readonly sensitivity?: number;
}

/** Poisson-subsampled Gaussian (DP-SGD step): sampling rate q, noise multiplier sigma/clip. */
export interface PoissonSubsampledGaussianDpEvent {
  readonly kind: 'poissonSubsampledGaussian';
  readonly samplingProbability: number;
  readonly noiseMultiplier: number;
}

/** GNMax (Scalable PATE, sect. 4.1) charged with its data-independent bound alpha / sigma^2. */
export interface GnmaxDataIndependentDpEvent {
  readonly kind: 'gnmaxDataIndependent';
  readonly sigma: number;
}

/**
 * GNMax charged with the data-dependent bound (Scalable PATE Thm 6 / Prop 7), which is a function of the
 * vote histogram. Give exactly one of `votes` (preferred: the ledger can recompute everything) or a precomputed `logq`.
 */
export interface GnmaxDataDependentDpEvent {
  readonly kind: 'gnmaxDataDependent';
  readonly sigma: number;
  readonly votes?: readonly number[];
  readonly logq?: number;
}

/**
 * Threshold step of Confident-GNMax (Scalable PATE sect. 4.2, Prop 8): max vote + N(0, sigma1^2) >= threshold.
 * With `votes` the data-dependent bound is used, otherwise the data-independent alpha / (2 sigma1^2).
 * `baseline` (Interactive-GNMax) is subtracted from the votes before the test.
 */
export interface PateThresholdDpEvent {
  readonly kind: 'pateThreshold';
  readonly sigma1: number;
  readonly threshold: number;
  readonly votes?: readonly number[];
  readonly baseline?: readonly number[];
}

/**
 * One Confident-GNMax (or Interactive-GNMax when `baseline` is given) query: threshold step then GNMax.
 * charging 'realised': threshold cost always, GNMax cost only if `answered` (the default: what happened).
 * charging 'expected': threshold cost + Pr[answered] * GNMax cost (the papers' tables).
 * dataIndependent: charge both steps with their data-independent bounds (for 'expected', Pr[answered] is
 * still the data-dependent one, as in the reference `--data_independent` mode).
 */
export interface ConfidentGnmaxDpEvent {
  readonly kind: 'confidentGnmax';
  readonly sigma1: number;
  readonly sigma2: number;
  readonly threshold: number;
  readonly votes: readonly number[];
  readonly baseline?: readonly number[];
  readonly charging: 'realised' | 'expected';
  /** Required for realised charging. */
  readonly answered?: boolean;
  readonly dataIndependent?: boolean;
}

/**
 * LNMax (PATE 2017): argmax of votes + Lap(1/gamma). Data-dependent (Scalable PATE Prop 10 over the
 * Laplace logq) when `votes` is given, otherwise the pure 2*gamma-DP bound.
 */
export interface LnmaxDpEvent {
  readonly kind: 'lnmax';
  readonly gamma: number;
  readonly votes?: readonly number[];
}

/**
 * Multi-label voting (Private Multi-Winner Voting): each teacher votes a binary vector over `positives.length`
 * labels; positives[j] teachers say yes to label j out of numTeachers; per label a binary GNMax with noise
 * N(0, sigma^2). Optional tau: each teacher's vote vector is L2-clipped to norm tau.
 * With dataDependent true the union-bound logq over labels is used (Thm 6), otherwise data-independent.
 */
export interface MultiLabelGnmaxDpEvent {
  readonly kind: 'multiLabelGnmax';
  readonly sigma: number;
  readonly numTeachers: number;
  readonly positives: readonly number[];
  readonly tau?: number;
  readonly dataDependent?: boolean;
}

/** The sequential composition of the listed events. */
export interface ComposedDpEvent {
  readonly kind: 'composed';
  readonly events: readonly DpEvent[];
}

/** `count` sequential repetitions of `event`. */
export interface SelfComposedDpEvent {
  readonly kind: 'selfComposed';
  readonly event: DpEvent;
  readonly count: number;
}

export type DpEvent =
  | NoopDpEvent
  | NonPrivateDpEvent
  | GaussianDpEvent
  | LaplaceDpEvent
  | PoissonSubsampledGaussianDpEvent
  | GnmaxDataIndependentDpEvent
  | GnmaxDataDependentDpEvent
  | PateThresholdDpEvent
  | ConfidentGnmaxDpEvent
  | LnmaxDpEvent
  | MultiLabelGnmaxDpEvent
  | ComposedDpEvent
  | SelfComposedDpEvent;

export type DpEventKind = DpEvent['kind'];

export const DP_EVENT_KINDS: readonly DpEventKind[] = [
  'noop',
  'nonPrivate',
  'gaussian',
  'laplace',
  'poissonSubsampledGaussian',
  'gnmaxDataIndependent',
  'gnmaxDataDependent',
  'pateThreshold',
  'confidentGnmax',
  'lnmax',
  'multiLabelGnmax',
  'composed',
  'selfComposed',
];

/** INVALID_ARGUMENT: malformed event (bad number, missing field); UNSUPPORTED_EVENT: unknown kind. */
export type DpEventErrorCode = Extract<DpErrorCode, 'INVALID_ARGUMENT' | 'UNSUPPORTED_EVENT'>;

/** Thrown by validateDpEvent and by accountants that refuse an event (a DpError with one of two codes). */
export class DpEventError extends DpError {
  constructor(code: DpEventErrorCode, message: string) {
    super(code, message);
    this.name = 'DpEventError';
  }
}

const MAX_NESTING = 64;

function fail(path: string, why: string): never {
  throw new DpEventError('INVALID_ARGUMENT', `invalid DpEvent at ${path}: ${why}`);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function positive(o: Record<string, unknown>, key: string, path: string): void {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) fail(`${path}.${key}`, 'must be a finite number > 0');
}

function optionalPositive(o: Record<string, unknown>, key: string, path: string): void {
  if (o[key] !== undefined) positive(o, key, path);
}

function finite(o: Record<string, unknown>, key: string, path: string): void {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}.${key}`, 'must be a finite number');
}

function votesArray(
  o: Record<string, unknown>,
  key: string,
  path: string,
  opts: { minLength: number; nonNegative: boolean },
): void {
  const v = o[key];
  if (!Array.isArray(v)) fail(`${path}.${key}`, 'must be an array of numbers');
  if (v.length < opts.minLength) fail(`${path}.${key}`, `must have at least ${opts.minLength} entries`);
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${path}.${key}[${i}]`, 'must be a finite number');
    if (opts.nonNegative && x < 0) fail(`${path}.${key}[${i}]`, 'must be >= 0');
  }
}

function optionalBoolean(o: Record<string, unknown>, key: string, path: string): void {
  if (o[key] !== undefined && typeof o[key] !== 'boolean') fail(`${path}.${key}`, 'must be a boolean');
}

function validateAt(x: unknown, path: string, depth: number): DpEvent {
  if (depth > MAX_NESTING) fail(path, `nesting deeper than ${MAX_NESTING}`);
  if (!isRecord(x)) fail(path, 'must be an object');
  const kind = x['kind'];
  if (typeof kind !== 'string') fail(`${path}.kind`, 'must be a string');
  switch (kind as DpEventKind) {
    case 'noop':
    case 'nonPrivate':
      break;
    case 'gaussian':
      positive(x, 'sigma', path);
      optionalPositive(x, 'sensitivity', path);
      break;
    case 'laplace':
      positive(x, 'scale', path);
      optionalPositive(x, 'sensitivity', path);
      break;
    case 'poissonSubsampledGaussian': {
      const q = x['samplingProbability'];
      if (typeof q !== 'number' || !Number.isFinite(q) || q < 0 || q > 1) {
        fail(`${path}.samplingProbability`, 'must be a number in [0, 1]');
      }
      const s = x['noiseMultiplier'];
      if (typeof s !== 'number' || Number.isNaN(s) || s < 0) fail(`${path}.noiseMultiplier`, 'must be a number >= 0');
      break;
    }
    case 'gnmaxDataIndependent':
      positive(x, 'sigma', path);
      break;
    case 'gnmaxDataDependent':
      positive(x, 'sigma', path);
      if ((x['votes'] === undefined) === (x['logq'] === undefined)) fail(path, 'needs exactly one of votes or logq');
      if (x['votes'] !== undefined) votesArray(x, 'votes', path, { minLength: 2, nonNegative: true });
      if (x['logq'] !== undefined) {
        finite(x, 'logq', path);
        if ((x['logq'] as number) > 0) fail(`${path}.logq`, 'must be <= 0');
      }
      break;
    case 'pateThreshold':
      positive(x, 'sigma1', path);
      finite(x, 'threshold', path);
      if (x['votes'] !== undefined)
        votesArray(x, 'votes', path, { minLength: 1, nonNegative: x['baseline'] === undefined });
      if (x['baseline'] !== undefined) {
        if (x['votes'] === undefined) fail(`${path}.baseline`, 'needs votes');
        votesArray(x, 'baseline', path, { minLength: 1, nonNegative: false });
        if ((x['baseline'] as unknown[]).length !== (x['votes'] as unknown[]).length)
          fail(`${path}.baseline`, 'must have the length of votes');
      }
      break;
    case 'confidentGnmax': {
      positive(x, 'sigma1', path);
      positive(x, 'sigma2', path);
      finite(x, 'threshold', path);
      votesArray(x, 'votes', path, { minLength: 2, nonNegative: true });
      if (x['baseline'] !== undefined) {
        votesArray(x, 'baseline', path, { minLength: 2, nonNegative: false });
        if ((x['baseline'] as unknown[]).length !== (x['votes'] as unknown[]).length)
          fail(`${path}.baseline`, 'must have the length of votes');
      }
      const charging = x['charging'];
      if (charging !== 'realised' && charging !== 'expected')
        fail(`${path}.charging`, "must be 'realised' or 'expected'");
      optionalBoolean(x, 'answered', path);
      optionalBoolean(x, 'dataIndependent', path);
      if (charging === 'realised' && typeof x['answered'] !== 'boolean')
        fail(`${path}.answered`, 'is required for realised charging');
      break;
    }
    case 'lnmax':
      positive(x, 'gamma', path);
      if (x['votes'] !== undefined) votesArray(x, 'votes', path, { minLength: 2, nonNegative: true });
      break;
    case 'multiLabelGnmax': {
      positive(x, 'sigma', path);
      const n = x['numTeachers'];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
        fail(`${path}.numTeachers`, 'must be an integer >= 1');
      votesArray(x, 'positives', path, { minLength: 1, nonNegative: true });
      for (const p of x['positives'] as number[])
        if (p > n) fail(`${path}.positives`, 'entries must be <= numTeachers');
      optionalPositive(x, 'tau', path);
      optionalBoolean(x, 'dataDependent', path);
      break;
    }
    case 'composed': {
      const events = x['events'];
      if (!Array.isArray(events)) fail(`${path}.events`, 'must be an array');
      events.forEach((e, i) => validateAt(e, `${path}.events[${i}]`, depth + 1));
      break;
    }
    case 'selfComposed': {
      const c = x['count'];
      if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 0) fail(`${path}.count`, 'must be an integer >= 0');
      validateAt(x['event'], `${path}.event`, depth + 1);
      break;
    }
    default:
      throw new DpEventError('UNSUPPORTED_EVENT', `unknown DpEvent kind at ${path}.kind: ${JSON.stringify(kind)}`);
  }
  return x as unknown as DpEvent;
}

/** Checks that `x` is a well-formed DpEvent (known kind, finite positive parameters); throws DpEventError otherwise. */
export function validateDpEvent(x: unknown): DpEvent {
  return validateAt(x, 'event', 0);
}

/** Non-throwing variant of validateDpEvent. */
export function isDpEvent(x: unknown): x is DpEvent {
  try {
    validateDpEvent(x);
    return true;
  } catch {
    return false;
  }
}
