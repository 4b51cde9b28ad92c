import pg from 'pg';
import { RdpAccountant, roundEpsilonUp, type DpEvent } from '@conclave/dp';

export interface JobEvaluation {
  /** Plurality of the stored histograms against the true labels, over every asked query with a histogram. */
  ensembleAccuracy: number;
  /** Released labels against the true labels, over the answered queries. */
  answeredLabelAccuracy: number | null;
  /** ε at δ of every ledger event of the budget under each conversion (rounded up), recomputed with libs/dp. */
  epsilonImproved: number;
  epsilonBasic: number;
  ledgerEntries: number;
}

/**
 * The operator's evaluation of a finished job, with the ground truth the demo holds (MNIST's labels): reads the
 * stored vote histograms and the budget's ledger from the coordinator database. The histograms are the
 * guardian's private data; this is for the reproduction's table only and never leaves the operator's machine.
 */
export async function evaluateJob(input: {
  coordinatorUrl: string;
  jobId: string;
  budgetId: string;
  delta: number;
  /** True class of pool record `ordinal`. */
  truth: ArrayLike<number>;
  released: Array<{ ordinal: number; status: string; label: unknown }>;
}): Promise<JobEvaluation> {
  const client = new pg.Client({ connectionString: input.coordinatorUrl });
  await client.connect();
  try {
    const histograms = await client.query<{ ordinal: number; counts: number[] }>(
      'SELECT ordinal, vote_counts AS counts FROM query WHERE job_id = $1 AND vote_counts IS NOT NULL',
      [input.jobId],
    );
    const ledger = await client.query<{ event: DpEvent }>(
      'SELECT event FROM ledger_entry WHERE budget_id = $1 ORDER BY sequence',
      [input.budgetId],
    );
    let correct = 0;
    for (const { ordinal, counts } of histograms.rows) {
      if (counts.indexOf(Math.max(...counts)) === input.truth[ordinal]) correct += 1;
    }
    const answered = input.released.filter((l) => l.status === 'answered');
    const answeredCorrect = answered.filter((l) => l.label === input.truth[l.ordinal]).length;
    const accountant = new RdpAccountant();
    for (const { event } of ledger.rows) accountant.compose(event);
    const epsilonOf = (conversion: 'improved' | 'basic') =>
      ledger.rows.length === 0 ? 0 : roundEpsilonUp(accountant.getEpsilon(input.delta, conversion).epsilon);
    return {
      ensembleAccuracy: histograms.rows.length === 0 ? 0 : correct / histograms.rows.length,
      answeredLabelAccuracy: answered.length === 0 ? null : answeredCorrect / answered.length,
      epsilonImproved: epsilonOf('improved'),
      epsilonBasic: epsilonOf('basic'),
      ledgerEntries: ledger.rows.length,
    };
  } finally {
    await client.end();
  }
}
