/**
 * Test-only statistics for the sampler specs (not exported from the package): Pearson's chi-square against an
 * exact pmf, and the Wilson-Hilferty approximation of the chi-square quantile.
 */

/** Standard-normal quantile used for every statistical assertion: two-sided tail about 2e-6. */
export const Z_CRITICAL = 4.75;

/** Wilson & Hilferty (1931): the chi-square(df) quantile at standard-normal quantile z. */
export function chiSquareCriticalValue(degreesOfFreedom: number, z: number = Z_CRITICAL): number {
  const k = degreesOfFreedom;
  const a = 2 / (9 * k);
  return k * (1 - a + z * Math.sqrt(a)) ** 3;
}

/**
 * Pearson's chi-square of integer samples against pmf (support sorted ascending, probabilities summing to ~1):
 * consecutive cells are merged until each expects at least 5 observations; samples outside the support land in
 * the end cells.
 */
export function chiSquareAgainstPmf(
  samples: ArrayLike<number>,
  support: readonly number[],
  probabilities: readonly number[],
): { statistic: number; degreesOfFreedom: number } {
  const n = samples.length;
  const index = new Map<number, number>();
  support.forEach((x, i) => index.set(x, i));
  const observed = new Float64Array(support.length);
  for (let i = 0; i < n; i++) {
    const x = samples[i];
    const j = index.get(x);
    if (j !== undefined) observed[j]++;
    else observed[x < support[0] ? 0 : support.length - 1]++;
  }
  const cells: { expected: number; observed: number }[] = [];
  let e = 0;
  let o = 0;
  for (let i = 0; i < support.length; i++) {
    e += probabilities[i] * n;
    o += observed[i];
    if (e >= 5) {
      cells.push({ expected: e, observed: o });
      e = 0;
      o = 0;
    }
  }
  if (cells.length === 0) throw new Error('not enough samples for a chi-square test');
  const last = cells[cells.length - 1];
  last.expected += e;
  last.observed += o;
  let statistic = 0;
  for (const c of cells) statistic += ((c.observed - c.expected) * (c.observed - c.expected)) / c.expected;
  return { statistic, degreesOfFreedom: cells.length - 1 };
}

/** Sample mean and (unbiased) variance. */
export function meanAndVariance(samples: ArrayLike<number>): { mean: number; variance: number } {
  const n = samples.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += samples[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (samples[i] - mean) * (samples[i] - mean);
  return { mean, variance: ss / (n - 1) };
}
