// Evaluates reference cases (the schema of ../shared/oracle/pate_reference_cases.json) with the library and compares
// every expected output field. Pure: takes parsed JSON, returns a report; the CLI and the spec do the I/O.
// Each case type is computed from its inputs by the analysis functions and the accountant; case ids are never read.
//
// Counting: N and M count CASES. A case passes only if every expected field matches; it fails if any field
// mismatches or the evaluation throws; it is unsupported if its type is unknown or it expects a field this evaluator
// does not compute.
//
// Tolerances (oracle README): rtol 1e-9 for closed forms (Gaussian, Laplace/moments, conversions of closed-form
// curves, GNSS); rtol 1e-6 for anything built on logsf tails, brentq or smooth sensitivity; values within 1e-300 of
// each other are equal (astronomically small RDPs); booleans, integers, orders and strings exactly.

import { RdpAccountant } from '../accountant/rdp-accountant.js';
import { epsilonFromRdp, type RdpConversion } from '../accountant/rdp-conversion.js';
import { analyzeConfidentGnmaxSequence } from '../analysis/confident-gnmax-analysis.js';
import {
  computeLogqGaussian,
  isDataIndependentAlwaysOptGaussian,
  rdpGaussianDetails,
} from '../analysis/gnmax-analysis.js';
import {
  computeLogqLaplace,
  computeQNoisyMax,
  lnmaxTotalLogmgf,
  logmgfExact,
  logmgfFromCounts,
  momentsAccountantEps,
  rdpPureEps,
} from '../analysis/lnmax-analysis.js';
import { pate2017SmoothedSens } from '../analysis/pate2017-smooth-sensitivity.js';
import {
  checkSmoothSensitivityConditions,
  computeDiscountedMax,
  computeLogq0Gnmax,
  computeLogq1Gnmax,
  findOptimalSmoothSensitivityParameters,
  localSensitivityBoundsGnmax,
  localSensitivityBoundsThreshold,
  numpyArange,
  rdpSmoothSensitivityGaussian,
} from '../analysis/smooth-sensitivity-analysis.js';
import {
  computeLogprAnswered,
  isDataIndependentAlwaysOptThreshold,
  rdpDataIndependentThreshold,
  rdpThreshold,
  roundedMaxVote,
  thresholdLogq,
} from '../analysis/threshold-analysis.js';
import type { DpEvent } from '../events/dp-event.js';
import { formatFixed, formatGeneral, formatRepr } from './python-format.js';

export interface OracleMismatch {
  readonly caseId: string;
  readonly field: string;
  readonly expected: string;
  readonly got: string;
}

export interface OracleReport {
  readonly passed: number;
  readonly failed: number;
  readonly unsupported: number;
  /** Mismatching fields of failed cases, and the missing fields / unknown types of unsupported ones. */
  readonly mismatches: OracleMismatch[];
}

type Computed = Map<string, unknown>;
type Inputs = Record<string, unknown>;

export class OracleInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OracleInputError';
  }
}

// ---------------------------------------------------------------- input decoding

function decodeNumber(x: unknown, what: string): number {
  if (typeof x === 'number') return x;
  if (x === 'Infinity') return Infinity;
  if (x === '-Infinity') return -Infinity;
  if (x === 'NaN') return NaN;
  throw new OracleInputError(`${what} is not a number`);
}

function num(inputs: Inputs, key: string): number {
  if (!(key in inputs)) throw new OracleInputError(`missing input ${key}`);
  return decodeNumber(inputs[key], `input ${key}`);
}

function optNum(inputs: Inputs, key: string): number | undefined {
  return inputs[key] === undefined || inputs[key] === null ? undefined : num(inputs, key);
}

function vec(inputs: Inputs, key: string): number[] {
  const v = inputs[key];
  if (!Array.isArray(v)) throw new OracleInputError(`input ${key} is not an array`);
  return v.map((x, i) => decodeNumber(x, `input ${key}[${i}]`));
}

function optVec(inputs: Inputs, key: string): number[] | undefined {
  return inputs[key] === undefined || inputs[key] === null ? undefined : vec(inputs, key);
}

function mat(inputs: Inputs, key: string): number[][] {
  const v = inputs[key];
  if (!Array.isArray(v)) throw new OracleInputError(`input ${key} is not an array of arrays`);
  return v.map((row, i) => {
    if (!Array.isArray(row)) throw new OracleInputError(`input ${key}[${i}] is not an array`);
    return row.map((x, j) => decodeNumber(x, `input ${key}[${i}][${j}]`));
  });
}

function optMat(inputs: Inputs, key: string): number[][] | undefined {
  return inputs[key] === undefined || inputs[key] === null ? undefined : mat(inputs, key);
}

function bools(inputs: Inputs, key: string): boolean[] {
  const v = inputs[key];
  if (!Array.isArray(v) || !v.every((b) => typeof b === 'boolean'))
    throw new OracleInputError(`input ${key} is not an array of booleans`);
  return v as boolean[];
}

/** Orders of a case: `orders` (array) or `order` (scalar). */
function ordersOf(inputs: Inputs): number[] {
  if (Array.isArray(inputs['orders'])) return vec(inputs, 'orders');
  if (inputs['order'] !== undefined) return [num(inputs, 'order')];
  throw new OracleInputError('missing input orders');
}

// ---------------------------------------------------------------- output helpers

function putConversions(out: Computed, orders: number[], rdp: ArrayLike<number>, delta: number, name: string): void {
  for (const conv of ['basic', 'improved'] as RdpConversion[]) {
    const r = epsilonFromRdp(orders, rdp, delta, conv);
    const suffix = name === '' ? conv : `${name}_${conv}`;
    out.set(`eps_${suffix}`, r.value);
    out.set(`order_opt_${suffix}`, r.order);
  }
}

function sumVotes(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0);
}

/** smooth_sensitivity_table._count_teachers: the max row sum. */
function countTeachers(votes: readonly (readonly number[])[]): number {
  return Math.max(...votes.map((row) => Math.round(sumVotes(row))));
}

function accountantRdp(orders: number[], events: Iterable<[DpEvent, number]>): Float64Array {
  const acc = new RdpAccountant({ orders });
  for (const [e, count] of events) acc.compose(e, count);
  return acc.rdp();
}

// ---------------------------------------------------------------- case types

function gnmaxQuery(i: Inputs): Computed {
  const votes = vec(i, 'votes');
  const sigma = num(i, 'sigma');
  const orders = ordersOf(i);
  const logq = computeLogqGaussian(votes, sigma);
  const d = rdpGaussianDetails(logq, sigma, orders);
  const n = optNum(i, 'num_teachers') ?? sumVotes(votes);
  return new Map<string, unknown>([
    ['logq', logq],
    ['q', Math.exp(logq)],
    ['rdp_data_independent', d.rdpDataIndependent],
    ['rdp_data_dependent', d.rdp],
    ['mu_hi1', d.muHi1],
    ['mu_hi2', d.muHi2],
    ['dd_preconditions_hold', d.preconditionsHold],
    ['dd_preconditions_hold_per_order', d.preconditionsHoldPerOrder],
    ['dd_strictly_better_per_order', d.strictlyBetterPerOrder],
    ['data_independent_always_optimal_per_order', isDataIndependentAlwaysOptGaussian(n, votes.length, sigma, orders)],
  ]);
}

function thresholdQuery(i: Inputs): Computed {
  const votes = vec(i, 'votes');
  const baseline = optVec(i, 'baseline');
  const threshold = num(i, 'threshold');
  const sigma1 = num(i, 'sigma1');
  const orders = ordersOf(i);
  const logPr = computeLogprAnswered(threshold, sigma1, votes, baseline);
  const out: Computed = new Map<string, unknown>([
    ['rounded_max_vote', roundedMaxVote(votes, baseline)],
    ['log_pr_answered', logPr],
    ['pr_answered', Math.exp(logPr)],
    ['logq_used', thresholdLogq(logPr)],
    ['rdp_data_independent', rdpDataIndependentThreshold(sigma1, orders)],
    ['rdp_data_dependent', rdpThreshold(logPr, sigma1, orders)],
  ]);
  const n = optNum(i, 'num_teachers');
  if (n !== undefined)
    out.set(
      'data_independent_always_optimal_per_order',
      isDataIndependentAlwaysOptThreshold(n, threshold, sigma1, orders),
    );
  return out;
}

function lnmaxQuery(i: Inputs): Computed {
  const votes = vec(i, 'votes');
  const gamma = num(i, 'gamma');
  const moments = vec(i, 'moments_l');
  const logqCore = computeLogqLaplace(votes, 1 / gamma);
  return new Map<string, unknown>([
    ['q_pate2017', computeQNoisyMax(votes, gamma)],
    ['logq_core', logqCore],
    ['logmgf_pate2017_per_l', moments.map((l) => logmgfFromCounts(votes, gamma, l))],
    [
      'rdp_pure_eps_core_at_alpha_l_plus_1',
      rdpPureEps(
        logqCore,
        2 * gamma,
        moments.map((l) => l + 1),
      ),
    ],
    ['logmgf_data_independent_per_l', moments.map((l) => logmgfExact(1.0, 2 * gamma, l))],
  ]);
}

function seqGnmax(i: Inputs): Computed {
  const votes = mat(i, 'votes');
  const sigma = num(i, 'sigma');
  const delta = num(i, 'delta');
  const orders = ordersOf(i);
  const dd = accountantRdp(
    orders,
    votes.map((v): [DpEvent, number] => [{ kind: 'gnmaxDataDependent', sigma, votes: v }, 1]),
  );
  const di = accountantRdp(orders, [[{ kind: 'gnmaxDataIndependent', sigma }, votes.length]]);
  const out: Computed = new Map<string, unknown>([
    ['rdp_total_data_dependent', dd],
    ['rdp_total_data_independent', di],
  ]);
  putConversions(out, orders, dd, delta, 'data_dependent');
  putConversions(out, orders, di, delta, 'data_independent');
  return out;
}

function seqConfidentGnmax(i: Inputs): Computed {
  const votes = mat(i, 'votes');
  const baseline = optMat(i, 'baseline');
  const threshold = num(i, 'threshold');
  const sigma1 = num(i, 'sigma1');
  const sigma2 = num(i, 'sigma2');
  const delta = num(i, 'delta');
  const orders = ordersOf(i);
  const mask = i['answered_mask_realized'] === undefined ? undefined : bools(i, 'answered_mask_realized');
  const a = analyzeConfidentGnmaxSequence({ votes, baseline, threshold, sigma1, sigma2, orders, answeredMask: mask });
  const out: Computed = new Map<string, unknown>([
    ['pr_answered_per_query', a.prAnsweredPerQuery],
    ['expected_answered', a.expectedAnswered],
  ]);
  const curves: [string, ArrayLike<number>][] = [
    ['expected_data_dependent', a.rdpExpectedDataDependent],
    ['step1_data_dependent', a.rdpStep1DataDependent],
    ['expected_data_independent_ref_mode', a.rdpExpectedDataIndependentRefMode],
  ];
  if (mask !== undefined) {
    // Realised charging goes through the accountant, one confidentGnmax event per query, as the guardian charges it.
    const realised = (dataIndependent: boolean): Float64Array =>
      accountantRdp(
        orders,
        votes.map((v, q): [DpEvent, number] => [
          {
            kind: 'confidentGnmax',
            sigma1,
            sigma2,
            threshold,
            votes: v,
            ...(baseline !== undefined ? { baseline: baseline[q]! } : {}),
            charging: 'realised',
            answered: mask[q]!,
            dataIndependent,
          },
          1,
        ]),
      );
    out.set('num_answered_realized', mask.filter((b) => b).length);
    curves.push(['realized_data_dependent', realised(false)], ['realized_data_independent', realised(true)]);
  }
  for (const [name, curve] of curves) {
    out.set(`rdp_${name}`, curve);
    putConversions(out, orders, curve, delta, name);
  }
  return out;
}

function seqLnmax(i: Inputs): Computed {
  const votes = mat(i, 'votes');
  const gamma = num(i, 'gamma');
  const delta = num(i, 'delta');
  const moments = vec(i, 'moments_l');
  const total = lnmaxTotalLogmgf(votes, gamma, moments);
  const ma = momentsAccountantEps(total, moments, delta);
  const indTotal = moments.map((l) => votes.length * logmgfExact(1.0, 2 * gamma, l));
  const ind = momentsAccountantEps(indTotal, moments, delta);
  const alphas = moments.map((l) => l + 1);
  const core = new Float64Array(alphas.length);
  for (const v of votes) {
    const r = rdpPureEps(computeLogqLaplace(v, 1 / gamma), 2 * gamma, alphas);
    for (let k = 0; k < core.length; k++) core[k] = core[k]! + r[k]!;
  }
  const out: Computed = new Map<string, unknown>([
    ['total_logmgf_per_l', ma.totalLogmgfPerL],
    ['eps_per_l', ma.epsPerL],
    ['eps', ma.eps],
    ['l_opt', ma.lOpt],
    ['total_logmgf_data_independent_per_l', indTotal],
    ['eps_data_independent_per_l', ind.epsPerL],
    ['eps_data_independent', ind.eps],
    ['l_opt_data_independent', ind.lOpt],
    ['core_orders_alpha', alphas],
    ['core_rdp_total_at_alpha', core],
  ]);
  putConversions(out, alphas, core, delta, 'core');
  for (const conv of ['basic', 'improved']) {
    out.set(`core_eps_${conv}`, out.get(`eps_core_${conv}`));
    out.set(`core_order_opt_${conv}`, out.get(`order_opt_core_${conv}`));
  }
  return out;
}

function seqLnmaxCore(i: Inputs): Computed {
  const votes = mat(i, 'votes');
  const lambda = num(i, 'lambda');
  const delta = num(i, 'delta');
  const orders = ordersOf(i);
  const rdp = new Float64Array(orders.length);
  for (const v of votes) {
    const r = rdpPureEps(computeLogqLaplace(v, lambda), 2 / lambda, orders);
    for (let k = 0; k < rdp.length; k++) rdp[k] = rdp[k]! + r[k]!;
  }
  const out: Computed = new Map<string, unknown>([['rdp_total', rdp]]);
  putConversions(out, orders, rdp, delta, '');
  return out;
}

function smoothSensGnmax(i: Inputs): Computed {
  const votes = vec(i, 'votes');
  const numTeachers = num(i, 'num_teachers');
  const sigma = num(i, 'sigma');
  const order = num(i, 'order');
  const ls = localSensitivityBoundsGnmax(votes, numTeachers, sigma, order);
  const out: Computed = new Map<string, unknown>([
    ['local_sensitivity_at_distance', ls],
    ['logq0', computeLogq0Gnmax(sigma, order)],
    ['logq1', computeLogq1Gnmax(sigma, order, votes.length)],
    ['logq', computeLogqGaussian(votes, sigma)],
  ]);
  const beta = optNum(i, 'beta');
  if (beta !== undefined) out.set('smooth_sensitivity', computeDiscountedMax(beta, ls));
  const sigmaSs = optNum(i, 'sigma_ss');
  if (beta !== undefined && sigmaSs !== undefined)
    out.set('rdp_gnss', rdpSmoothSensitivityGaussian(beta, sigmaSs, order));
  return out;
}

function smoothSensThreshold(i: Inputs): Computed {
  const votes = vec(i, 'votes');
  const baseline = optVec(i, 'baseline');
  const numTeachers = num(i, 'num_teachers');
  const threshold = num(i, 'threshold');
  const sigma1 = num(i, 'sigma1');
  const order = num(i, 'order');
  const ls = localSensitivityBoundsThreshold(votes, numTeachers, threshold, sigma1, order, baseline);
  const out: Computed = new Map<string, unknown>([['local_sensitivity_at_distance', ls]]);
  const beta = optNum(i, 'beta');
  if (beta !== undefined) out.set('smooth_sensitivity', computeDiscountedMax(beta, ls));
  return out;
}

function gnssRdp(i: Inputs): Computed {
  return new Map<string, unknown>([
    ['rdp', rdpSmoothSensitivityGaussian(num(i, 'beta'), num(i, 'sigma_ss'), num(i, 'order'))],
  ]);
}

function gnmaxLogq0(i: Inputs): Computed {
  const sigma = num(i, 'sigma');
  const order = num(i, 'order');
  const out: Computed = new Map<string, unknown>([['logq0', computeLogq0Gnmax(sigma, order)]]);
  const m = optNum(i, 'num_classes');
  if (m !== undefined) out.set('logq1', computeLogq1Gnmax(sigma, order, m));
  return out;
}

const STANDARD_BETA_GRID = 'np.arange(.3 / order, .495 / order, .01 / order)';

function ssReleaseConfident(i: Inputs): Computed {
  const votes = mat(i, 'votes');
  const baseline = optMat(i, 'baseline');
  const threshold = optNum(i, 'threshold');
  const sigma1 = optNum(i, 'sigma1');
  const sigma2 = num(i, 'sigma2');
  const delta = num(i, 'delta');
  const order = num(i, 'order');
  const grid = i['beta_grid'];
  let betas: number[];
  if (grid === undefined || grid === STANDARD_BETA_GRID) betas = numpyArange(0.3 / order, 0.495 / order, 0.01 / order);
  else if (Array.isArray(grid)) betas = vec(i, 'beta_grid');
  else throw new OracleInputError(`unsupported beta_grid ${JSON.stringify(grid)}`);
  const numTeachers = optNum(i, 'num_teachers') ?? countTeachers(votes);
  const numClasses = votes[0]!.length;
  const hasThreshold = threshold !== undefined && sigma1 !== undefined;
  const ind1 = hasThreshold
    ? isDataIndependentAlwaysOptThreshold(numTeachers, threshold, sigma1, [order]).every((b) => b)
    : true;
  const ind2 = isDataIndependentAlwaysOptGaussian(numTeachers, numClasses, sigma2, [order]).every((b) => b);
  const r = findOptimalSmoothSensitivityParameters({
    votes,
    baseline,
    numTeachers,
    threshold,
    sigma1,
    sigma2,
    delta,
    order,
    dataIndependentStep1: ind1,
    dataIndependentStep2: ind2,
    betas,
  });
  const line =
    `${votes.length}: E[answered queries] = ${formatFixed(r.expectedAnswered, 1)}, RDP at ${formatRepr(order)} goes from ` +
    `${formatFixed(r.epsBeforeSs, 3)} to ${formatFixed(r.epsWithSs, 3)} +/- ${formatFixed(r.ssNoiseStd, 3)} ` +
    `(ss = ${formatGeneral(r.ssOpt, 4, true)}, beta = ${formatFixed(r.betaOpt, 4)}, sigma_ss = ${formatFixed(r.sigmaSsOpt, 3)})`;
  return new Map<string, unknown>([
    ['data_independent_step1', ind1],
    ['data_independent_step2', ind2],
    ['conditions_C5_C6', checkSmoothSensitivityConditions(sigma2, numClasses, order)],
    ['expected_answered', r.expectedAnswered],
    ['rdp_expected_at_order', r.rdpExpected],
    ['expected_local_sensitivity_at_distance', r.expectedLocalSensitivity],
    ['eps_before_ss', r.epsBeforeSs],
    ['beta_opt', r.betaOpt],
    ['ss_opt', r.ssOpt],
    ['sigma_ss_opt', r.sigmaSsOpt],
    ['rdp_gnss', r.rdpGnss],
    ['eps_with_ss', r.epsWithSs],
    ['ss_noise_std', r.ssNoiseStd],
    ['reference_stdout_tail', line],
  ]);
}

function pate2017SmoothedSensCase(i: Inputs): Computed {
  const votes = vec(i, 'votes');
  const gamma = num(i, 'gamma');
  const beta = num(i, 'beta');
  const moments = vec(i, 'moments_l');
  return new Map<string, unknown>([
    ['smoothed_sens_per_l', moments.map((l) => pate2017SmoothedSens(votes, gamma, l, beta))],
  ]);
}

function gaussianComposed(i: Inputs): Computed {
  const sigma = num(i, 'sigma');
  const sensitivity = optNum(i, 'sensitivity') ?? 1;
  const steps = num(i, 'steps');
  const delta = num(i, 'delta');
  const orders = ordersOf(i);
  const acc = new RdpAccountant({ orders });
  acc.compose({ kind: 'gaussian', sigma, sensitivity }, steps);
  const rdp = acc.rdp();
  const out: Computed = new Map<string, unknown>([['rdp_total', rdp]]);
  putConversions(out, orders, rdp, delta, '');
  return out;
}

function subsampledGaussian(i: Inputs): Computed {
  const q = num(i, 'q');
  const z = num(i, 'noise_multiplier');
  const steps = num(i, 'steps');
  const delta = num(i, 'delta');
  const orders = ordersOf(i);
  const rdp = accountantRdp(orders, [
    [{ kind: 'poissonSubsampledGaussian', samplingProbability: q, noiseMultiplier: z }, steps],
  ]);
  const out: Computed = new Map<string, unknown>([['rdp_total', rdp]]);
  putConversions(out, orders, rdp, delta, '');
  return out;
}

interface CaseTypeSpec {
  readonly evaluate: (inputs: Inputs) => Computed;
  /** Fields compared with rtol 1e-9 (closed forms); every other numeric field uses 1e-6. */
  readonly closedForm: (field: string) => boolean;
}

const ALL = (): boolean => true;
const DATA_INDEPENDENT_ONLY = (f: string): boolean =>
  f.includes('data_independent') && !f.includes('ref_mode') && !f.includes('always');

const CASE_TYPES: Record<string, CaseTypeSpec> = {
  gnmax_query: { evaluate: gnmaxQuery, closedForm: (f) => f === 'rdp_data_independent' },
  threshold_query: { evaluate: thresholdQuery, closedForm: (f) => f === 'rdp_data_independent' },
  lnmax_query: { evaluate: lnmaxQuery, closedForm: ALL },
  seq_gnmax: { evaluate: seqGnmax, closedForm: DATA_INDEPENDENT_ONLY },
  seq_confident_gnmax: { evaluate: seqConfidentGnmax, closedForm: (f) => f.includes('realized_data_independent') },
  seq_lnmax: { evaluate: seqLnmax, closedForm: ALL },
  seq_lnmax_core: { evaluate: seqLnmaxCore, closedForm: ALL },
  smooth_sens_gnmax: { evaluate: smoothSensGnmax, closedForm: (f) => f === 'rdp_gnss' },
  smooth_sens_threshold: { evaluate: smoothSensThreshold, closedForm: () => false },
  gnss_rdp: { evaluate: gnssRdp, closedForm: ALL },
  gnmax_logq0: { evaluate: gnmaxLogq0, closedForm: () => false },
  ss_release_confident: { evaluate: ssReleaseConfident, closedForm: () => false },
  pate2017_smoothed_sens: { evaluate: pate2017SmoothedSensCase, closedForm: () => false }, // smooth sensitivity: 1e-6
  gaussian_composed: { evaluate: gaussianComposed, closedForm: ALL },
  subsampled_gaussian: { evaluate: subsampledGaussian, closedForm: () => false },
};

export const SUPPORTED_CASE_TYPES: readonly string[] = Object.keys(CASE_TYPES);

// ---------------------------------------------------------------- comparison

const EXACT_FIELD = /^(order_opt|l_opt|rounded_max_vote|num_answered|core_order_opt|core_orders_alpha)/;

function show(x: unknown): string {
  if (typeof x === 'number') {
    if (Number.isNaN(x)) return 'NaN';
    if (x === Infinity) return 'Infinity';
    if (x === -Infinity) return '-Infinity';
    return formatRepr(x);
  }
  if (ArrayBuffer.isView(x)) return show(Array.from(x as Float64Array));
  if (Array.isArray(x)) {
    const parts = x.map(show);
    return parts.length > 12 ? `[${parts.slice(0, 12).join(', ')}, ... (${parts.length})]` : `[${parts.join(', ')}]`;
  }
  return JSON.stringify(x);
}

function numbersMatch(expected: number, got: number, rtol: number, exact: boolean): boolean {
  if (Number.isNaN(expected) || Number.isNaN(got)) return Number.isNaN(expected) && Number.isNaN(got);
  if (!Number.isFinite(expected) || !Number.isFinite(got)) return expected === got;
  if (exact) return expected === got;
  const diff = Math.abs(expected - got);
  return diff <= 1e-300 || diff <= rtol * Math.abs(expected);
}

/** Compares one field; returns null when it matches, else a short description of the first differing element. */
function compareField(expected: unknown, got: unknown, rtol: number, exact: boolean): string | null {
  if (
    typeof expected === 'boolean' ||
    (typeof expected === 'string' && !['Infinity', '-Infinity', 'NaN'].includes(expected))
  ) {
    return expected === got ? null : show(got);
  }
  if (typeof expected === 'number' || typeof expected === 'string') {
    const e = decodeNumber(expected, 'expected');
    if (typeof got !== 'number') return show(got);
    return numbersMatch(e, got, rtol, exact) ? null : show(got);
  }
  if (Array.isArray(expected)) {
    const g: unknown[] | null = Array.isArray(got)
      ? got
      : ArrayBuffer.isView(got)
        ? Array.from(got as Float64Array)
        : null;
    if (g === null) return show(got);
    if (g.length !== expected.length) return `length ${g.length} (expected ${expected.length}): ${show(g)}`;
    for (let k = 0; k < expected.length; k++) {
      const r = compareField(expected[k], g[k], rtol, exact);
      if (r !== null)
        return `[${k}] ${r} (expected ${show(typeof expected[k] === 'string' ? decodeNumberOr(expected[k]) : expected[k])})`;
    }
    return null;
  }
  if (expected === null) return got === null ? null : show(got);
  return JSON.stringify(expected) === JSON.stringify(got) ? null : show(got);
}

function decodeNumberOr(x: unknown): unknown {
  try {
    return decodeNumber(x, 'x');
  } catch {
    return x;
  }
}

/** Every output field the library computes for a case (a superset of the fields a case may expect). */
export function computeOracleCaseOutputs(type: string, inputs: Record<string, unknown>): Map<string, unknown> {
  const spec = CASE_TYPES[type];
  if (spec === undefined) throw new OracleInputError(`unsupported case type ${type}`);
  return spec.evaluate(inputs);
}

export interface OracleCaseResult {
  readonly id: string;
  readonly status: 'passed' | 'failed' | 'unsupported';
  readonly mismatches: OracleMismatch[];
}

/** Evaluates one case object of the oracle schema. */
export function evaluateOracleCase(c: unknown): OracleCaseResult {
  const rec = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>;
  const id = typeof rec['id'] === 'string' ? rec['id'] : '<no id>';
  const type = typeof rec['type'] === 'string' ? rec['type'] : '<no type>';
  const inputs = (typeof rec['inputs'] === 'object' && rec['inputs'] !== null ? rec['inputs'] : {}) as Inputs;
  const outputs = (typeof rec['outputs'] === 'object' && rec['outputs'] !== null ? rec['outputs'] : {}) as Record<
    string,
    unknown
  >;
  const spec = CASE_TYPES[type];
  if (spec === undefined) {
    return {
      id,
      status: 'unsupported',
      mismatches: [{ caseId: id, field: '<type>', expected: type, got: 'unsupported case type' }],
    };
  }
  let computed: Computed;
  try {
    computed = spec.evaluate(inputs);
  } catch (e) {
    return {
      id,
      status: 'failed',
      mismatches: [{ caseId: id, field: '<evaluation>', expected: 'a result', got: `error: ${(e as Error).message}` }],
    };
  }
  const mismatches: OracleMismatch[] = [];
  let missing = false;
  for (const [field, expected] of Object.entries(outputs)) {
    if (!computed.has(field)) {
      missing = true;
      mismatches.push({ caseId: id, field, expected: show(expected), got: 'unsupported field' });
      continue;
    }
    const rtol = spec.closedForm(field) ? 1e-9 : 1e-6;
    const diff = compareField(expected, computed.get(field), rtol, EXACT_FIELD.test(field));
    if (diff !== null) mismatches.push({ caseId: id, field, expected: show(expected), got: diff });
  }
  if (missing) return { id, status: 'unsupported', mismatches };
  return { id, status: mismatches.length === 0 ? 'passed' : 'failed', mismatches };
}

/** Evaluates every case of a parsed oracle file. */
export function evaluateOracleFile(parsed: unknown): OracleReport {
  const cases = (parsed as { cases?: unknown } | null)?.cases;
  if (!Array.isArray(cases)) throw new OracleInputError('oracle file has no cases array');
  let passed = 0;
  let failed = 0;
  let unsupported = 0;
  const mismatches: OracleMismatch[] = [];
  for (const c of cases) {
    const r = evaluateOracleCase(c);
    if (r.status === 'passed') passed++;
    else if (r.status === 'failed') failed++;
    else unsupported++;
    mismatches.push(...r.mismatches);
  }
  return { passed, failed, unsupported, mismatches };
}

/** The report's last line: `oracle: N passed, M failed, K unsupported` (N, M, K count cases). */
export function formatOracleSummary(r: OracleReport): string {
  return `oracle: ${r.passed} passed, ${r.failed} failed, ${r.unsupported} unsupported`;
}

/** One mismatch line: `case id, field, expected, got`. */
export function formatOracleMismatch(m: OracleMismatch): string {
  return `${m.caseId}, ${m.field}, ${m.expected}, ${m.got}`;
}
