// Python's built-in round(x) on floats: round half to even (the reference's compute_logpr_answered rounds
// max(votes) this way, so Interactive-GNMax votes of 121.5 round to 122 and 120.5 to 120).

/** round(x) with ties to even, as Python 3's round() on a float. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const diff = x - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}
