import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { runCapcLabeling, sliceMnistIdx } from '@conclave/app-cli';
import { makeConfidentGnmax, SeededRng } from '@conclave/dp';
import {
  CLASSES,
  imagesOf,
  plaintextVoteHistograms,
  startCapcConsortium,
  type CapcConsortium,
} from './capc-fixtures.js';

const TEACHERS = ['a', 'b'];
const PARTITIONS_PER_OWNER = 3;
const PER_PARTITION = 200;
const QUERIES = 16;
/** The guardian's noise seed (AGGREGATOR_INSECURE_NOISE_SEED), test-only. */
const SEED = 'capc-same-noise';
/**
 * Confident-GNMax with 6 voters: σ1 and σ2 large enough that the noise, not the plurality, decides some outcomes —
 * with this seed and these histograms some queries are refused and some answered labels are not the plurality.
 */
const PARAMS = { threshold: 4, sigma1: 1.5, sigma2: 2, accounting: 'dataIndependent' } as const;

type Outcome = { status: string; label: number | null };

/**
 * Plaintext Confident-GNMax over the histograms, in query order, on one Rng stream — what the guardian's job mechanism
 * (libs/guardian buildJobMechanism: libs/dp's makeConfidentGnmax, refused → `refused-threshold`) draws. The capc
 * runner decides batches in ordinal order and each pending query once, so batching does not change the stream.
 */
function plaintextConfidentGnmax(histograms: number[][], seed: string): Outcome[] {
  const mechanism = makeConfidentGnmax(PARAMS);
  const rng = new SeededRng(seed);
  return histograms.map((counts) => {
    const out = mechanism.run(counts, rng);
    return out.answered ? { status: 'answered', label: out.label! } : { status: 'refused-threshold', label: null };
  });
}

describe('capc mode releases exactly the labels of plaintext GNMax given the same noise draw', () => {
  let capc: CapcConsortium;
  let db: pg.Client;
  let queryImages: Float32Array[];

  beforeAll(async () => {
    capc = await startCapcConsortium({
      teachers: TEACHERS,
      partitionsPerOwner: PARTITIONS_PER_OWNER,
      perPartition: PER_PARTITION,
      env: { aggregator: { AGGREGATOR_INSECURE_NOISE_SEED: SEED, NODE_ENV: 'test' } },
    });
    db = new pg.Client({ connectionString: capc.platform.coordinatorUrl });
    await db.connect();
    queryImages = imagesOf((await sliceMnistIdx('test', 0, QUERIES)).images);
  });

  afterAll(async () => {
    await db?.end();
    await capc?.teardown();
  });

  it('every query: the released label (or refusal) equals plaintext Confident-GNMax on the heads with the same seed', async () => {
    const result = await runCapcLabeling({
      apiUrl: capc.apiUrl,
      apiKey: capc.party.key,
      dealerUrl: capc.dealerUrl,
      dealerKey: capc.party.dealerKey,
      budgetId: capc.budgetId,
      records: queryImages,
      extractor: capc.extractor,
      classes: CLASSES,
      mechanism: 'confident-gnmax',
      params: PARAMS,
      batchSize: 8,
    });
    expect(result.status).toBe('completed');

    // The guardian decided on exactly the plaintext histograms (this job is the first its capc runner decided).
    const plaintext = plaintextVoteHistograms(capc, TEACHERS, queryImages);
    const rows = await db.query(
      `SELECT vote_counts AS counts FROM query WHERE job_id = $1 AND vote_counts IS NOT NULL ORDER BY ordinal`,
      [result.jobId],
    );
    expect(rows.rows.map((r: { counts: number[] }) => r.counts)).toEqual(plaintext);

    const released: Outcome[] = [...result.labels]
      .sort((x, y) => x.ordinal - y.ordinal)
      .map((l) => ({ status: l.status, label: l.label }));
    const expected = plaintextConfidentGnmax(plaintext, SEED);
    expect(released).toEqual(expected);

    // Not vacuous: the noise decided something — a refusal, an answered label that is not the plurality — and
    // another seed gives other outcomes, so a guardian drawing different noise would fail the equality above.
    const plurality = plaintext.map((counts) => counts.indexOf(Math.max(...counts)));
    expect(released.some((o) => o.status === 'refused-threshold')).toBe(true);
    expect(released.some((o, i) => o.status === 'answered' && o.label !== plurality[i])).toBe(true);
    expect(plaintextConfidentGnmax(plaintext, `${SEED}-other`)).not.toEqual(expected);

    // The guardian said loudly that its noise is predictable, and never logged the seed.
    const aggregatorLog = readFileSync(join(dirname(capc.platform.credentialsFile), 'logs', 'aggregator.log'), 'utf8');
    expect(aggregatorLog).toContain('AGGREGATOR_INSECURE_NOISE_SEED is set');
    expect(aggregatorLog).not.toContain(SEED);
    process.stdout.write(
      `capc same-noise e2e: ${QUERIES} queries, ${released.filter((o) => o.status === 'answered').length} answered, ` +
        `${released.filter((o, i) => o.status === 'answered' && o.label !== plurality[i]).length} not the plurality, ` +
        `${Math.round(result.stats.elapsedMs / 1000)} s\n`,
    );
  });
});
