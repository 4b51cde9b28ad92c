import { publicFeatureExtractor } from '@conclave/ml';
import { BFV_4096, BFV_8192 } from '@conclave/crypto';
import { runCapcLabeling } from './capc-client.js';
import { readIdxImages } from './idx-images.reader.js';

export interface CapcLabelCliOptions {
  url: string;
  key: string;
  dealer: string;
  dealerKey: string;
  dataset?: string;
  budget: string;
  images: string;
  count?: string;
  classes: string;
  mechanism: string;
  params: string;
  batchSize?: string;
  queriesPerCiphertext?: string;
  parameters: string;
}

/** `conclave capc label`: labels an IDX file's images in confidential mode; prints the labels and the traffic. */
export async function runCapcLabelCommand(opts: CapcLabelCliOptions): Promise<void> {
  const records = readIdxImages(opts.images, opts.count ? Number(opts.count) : undefined);
  const result = await runCapcLabeling({
    apiUrl: opts.url,
    apiKey: opts.key,
    dealerUrl: opts.dealer,
    dealerKey: opts.dealerKey,
    budgetId: opts.budget,
    records,
    extractor: publicFeatureExtractor('mnist'),
    classes: Number(opts.classes),
    mechanism: opts.mechanism,
    params: JSON.parse(opts.params) as Record<string, unknown>,
    batchSize: opts.batchSize === undefined ? undefined : Number(opts.batchSize),
    queriesPerCiphertext: opts.queriesPerCiphertext === undefined ? undefined : Number(opts.queriesPerCiphertext),
    heParameters: opts.parameters === 'BFV_4096' ? BFV_4096 : BFV_8192,
    onProgress: (done, total) => process.stderr.write(`\r${done}/${total} queries`),
  });
  process.stderr.write('\n');
  process.stdout.write(
    JSON.stringify({
      jobId: result.jobId,
      status: result.status,
      labels: result.labels.map((l) => l.label),
      stats: result.stats,
    }) + '\n',
  );
}
