import { DpError } from '../errors/dp-error.js';

/** A finite number > 0 (sigma, scale, gamma ...). */
export function assertPositiveFinite(x: unknown, name: string): asserts x is number {
  if (typeof x !== 'number' || !Number.isFinite(x) || !(x > 0)) {
    throw new DpError('INVALID_ARGUMENT', `${name} must be a finite number > 0`);
  }
}

/** A finite number (threshold, numeric value ...). */
export function assertFinite(x: unknown, name: string): asserts x is number {
  if (typeof x !== 'number' || !Number.isFinite(x))
    throw new DpError('INVALID_ARGUMENT', `${name} must be a finite number`);
}

/**
 * A vote histogram: at least `minClasses` counts, each a non-negative safe integer. Integer counts are required
 * because the noise is an exact discrete distribution, whose privacy guarantee holds for shifts by integers.
 * The message never contains the votes (they are private).
 */
export function assertVoteHistogram(votes: unknown, name: string, minClasses = 2): asserts votes is readonly number[] {
  if (!Array.isArray(votes) && !ArrayBuffer.isView(votes))
    throw new DpError('INVALID_ARGUMENT', `${name} must be an array of vote counts`);
  const v = votes as ArrayLike<unknown>;
  if (v.length < minClasses) throw new DpError('INVALID_ARGUMENT', `${name} must have at least ${minClasses} classes`);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
      throw new DpError('INVALID_ARGUMENT', `${name}[${i}] must be a finite non-negative integer vote count`);
    }
  }
}

/** A baseline (Interactive-GNMax: the student's prediction in vote units): finite numbers, one per class. */
export function assertBaseline(
  baseline: unknown,
  classes: number,
  name: string,
): asserts baseline is readonly number[] {
  if (!Array.isArray(baseline) && !ArrayBuffer.isView(baseline))
    throw new DpError('INVALID_ARGUMENT', `${name} must be an array`);
  const b = baseline as ArrayLike<unknown>;
  if (b.length !== classes) throw new DpError('INVALID_ARGUMENT', `${name} must have one entry per class`);
  for (let i = 0; i < b.length; i++) {
    const x = b[i];
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw new DpError('INVALID_ARGUMENT', `${name}[${i}] must be a finite number`);
  }
}

/** 'dataDependent' | 'dataIndependent' (undefined means the default). */
export function assertOneOf<T extends string>(x: unknown, allowed: readonly T[], name: string): asserts x is T {
  if (typeof x !== 'string' || !(allowed as readonly string[]).includes(x)) {
    throw new DpError('INVALID_ARGUMENT', `${name} must be one of ${allowed.join(', ')}`);
  }
}
