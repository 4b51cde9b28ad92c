import type { CapcHeadInput } from '@conclave/db';
import {
  encodeCapcHead,
  publicFeatureExtractorForSchema,
  trainLinearHead,
  trainSquareMlpHead,
  type CapcHeadModel,
  type HeadTrainResult,
  type LabeledDataset,
  type RecordSchema,
} from '@conclave/ml';

/** BFV_8192's degree: a linear head needs (classes + 1) × dimension ≤ N + 1 (libs/crypto bfv-linear). */
const BFV_DEGREE = 8192;
/** libs/crypto's CKKS heads pack every layer into a power-of-two width of at most 256. */
const CKKS_MAX_WIDTH = 256;
/** Hidden units of the square-MLP head: 32 keeps the CKKS width at the extractor's (64 for MNIST). */
const SQUARE_MLP_HIDDEN_UNITS = 32;

export type CapcHeadsPlan =
  { fit: true; extractorId: string; kinds: Array<'linear' | 'square-mlp'> } | { fit: false; reason: string };

/** Which heads a partition of this schema gets: the linear head when BFV_8192 fits it, the square MLP when CKKS does. */
export function planCapcHeads(schema: RecordSchema): CapcHeadsPlan {
  const label = schema.label;
  if (!label) return { fit: false, reason: 'the schema declares no label' };
  if (label.multiLabel) return { fit: false, reason: 'confidential mode answers single-label data only' };
  const extractor = publicFeatureExtractorForSchema(schema);
  if (!extractor) return { fit: false, reason: 'no public feature extractor fits these records' };
  const kinds: Array<'linear' | 'square-mlp'> = [];
  if ((label.numClasses + 1) * extractor.dimension <= BFV_DEGREE + 1) kinds.push('linear');
  if (Math.max(extractor.dimension, SQUARE_MLP_HIDDEN_UNITS, label.numClasses) <= CKKS_MAX_WIDTH) {
    kinds.push('square-mlp');
  }
  if (kinds.length === 0) return { fit: false, reason: 'too many classes for the HE parameters' };
  return { fit: true, extractorId: extractor.id, kinds };
}

export interface FittedCapcHeads {
  extractorId: string;
  heads: CapcHeadInput[];
  /** Extraction plus training of every head. */
  seconds: number;
}

/**
 * Fits a partition's heads on the public extractor's features of its records (the labels of the records are the
 * private part): a linear head (softmax regression) and a square-activation MLP, as `planCapcHeads` says. Returns
 * them encoded for storage, with a SHA-256 content hash each.
 */
export async function fitCapcHeads(
  data: LabeledDataset,
  schema: RecordSchema,
  options: { seed?: number; signal?: AbortSignal } = {},
): Promise<FittedCapcHeads | { skipped: string }> {
  const plan = planCapcHeads(schema);
  if (!plan.fit) return { skipped: plan.reason };
  if (data.multiLabel) return { skipped: 'confidential mode answers single-label data only' };
  const started = performance.now();
  const extractor = publicFeatureExtractorForSchema(schema)!;
  const matrix = extractor.extractMatrix(data.features, data.count);
  const features = { matrix, count: data.count };
  const common = { extractorId: extractor.id, seed: options.seed ?? 1, signal: options.signal };
  const heads: CapcHeadInput[] = [];
  for (const kind of plan.kinds) {
    const trained: HeadTrainResult<CapcHeadModel> =
      kind === 'linear'
        ? await trainLinearHead(features, data.labels, data.numClasses, common)
        : await trainSquareMlpHead(features, data.labels, data.numClasses, {
            ...common,
            hiddenUnits: SQUARE_MLP_HIDDEN_UNITS,
          });
    const encoded = encodeCapcHead(trained.head);
    heads.push({
      kind,
      extractorId: encoded.descriptor.extractorId,
      classes: encoded.descriptor.classes,
      dimension: encoded.descriptor.dimension,
      hiddenUnits: encoded.descriptor.hiddenUnits ?? null,
      parameters: encoded.parameters,
      contentHash: encoded.contentHash,
      metrics: {
        records: data.count,
        epochs: trained.epochs,
        steps: trained.steps,
        loss: trained.loss,
        accuracy: trained.accuracy,
        seconds: trained.seconds,
        seed: trained.seed,
      },
    });
  }
  return { extractorId: extractor.id, heads, seconds: (performance.now() - started) / 1000 };
}
