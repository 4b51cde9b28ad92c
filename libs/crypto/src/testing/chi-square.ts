/**
 * Pearson's chi-square statistic of integer samples in [0, modulus) against the uniform distribution over
 * `bins` equal-width bins, and an upper critical value (Wilson & Hilferty 1931 normal approximation). Test
 * support only.
 */
export function chiSquareUniform(samples: ArrayLike<number>, modulus: number, bins: number): number {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < samples.length; i++) counts[Math.min(bins - 1, Math.floor((samples[i] / modulus) * bins))]++;
  const expected = samples.length / bins;
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}

/** Chi-square critical value for `df` degrees of freedom at upper tail 1e-4 (z = 3.719). */
export function chiSquareCritical(df: number): number {
  const z = 3.719;
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}
