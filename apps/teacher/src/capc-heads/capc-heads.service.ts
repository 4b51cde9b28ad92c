import { Injectable } from '@nestjs/common';
import { CapcHeadRepository, type PartitionScope, type StoredCapcHead } from '@conclave/db';
import { decodeCapcHead, type LabeledDataset, type RecordSchema } from '@conclave/ml';
import { fitCapcHeads } from './capc-head.fitter.js';
import type { CapcHead } from './capc-head.types.js';

/** What fitting a partition's heads did: the heads stored, or why there are none. */
export type CapcHeadsOutcome =
  | {
      stored: true;
      extractorId: string;
      heads: Array<{ kind: CapcHead['kind']; contentHash: string; accuracy: number }>;
      seconds: number;
    }
  | { stored: false; reason: string };

/**
 * The confidential-mode heads of this teacher service's partitions: fitted when a partition's teacher is trained
 * (on the public extractor's features of the same records), stored with a content hash, read back — hash
 * verified — by the code that answers encrypted queries, deleted on discard.
 */
@Injectable()
export class CapcHeadsService {
  constructor(private readonly heads: CapcHeadRepository) {}

  /**
   * The heads of the dataset's partitions that are not discarded, ordered by partition name (then kind: 'linear'
   * before 'square-mlp'); empty when there are none. Throws INTERNAL if stored parameters fail their hash.
   */
  async headsFor(datasetId: string): Promise<CapcHead[]> {
    return (await this.heads.listForDataset({ datasetName: datasetId })).map(toCapcHead);
  }

  /**
   * Fits and stores a partition's heads from its training data, replacing its previous heads. Refused with
   * TEACHER_DISCARDED when the partition was discarded meanwhile (nothing is stored).
   */
  async fitPartition(
    scope: PartitionScope,
    data: LabeledDataset,
    schema: RecordSchema,
    options: { seed?: number; signal?: AbortSignal } = {},
  ): Promise<CapcHeadsOutcome> {
    const fitted = await fitCapcHeads(data, schema, options);
    if ('skipped' in fitted) return { stored: false, reason: fitted.skipped };
    await this.heads.replaceHeads(scope, fitted.heads);
    return {
      stored: true,
      extractorId: fitted.extractorId,
      heads: fitted.heads.map((h) => ({
        kind: h.kind,
        contentHash: h.contentHash,
        accuracy: h.metrics.accuracy as number,
      })),
      seconds: fitted.seconds,
    };
  }

  /** Deletes the heads of every partition of the dataset (discard). Returns how many were deleted. */
  async deleteForDataset(datasetId: string): Promise<number> {
    return this.heads.deleteForDataset({ datasetName: datasetId });
  }
}

function toCapcHead(stored: StoredCapcHead): CapcHead {
  const model = decodeCapcHead({
    descriptor: {
      kind: stored.kind,
      extractorId: stored.extractorId,
      classes: stored.classes,
      dimension: stored.dimension,
      ...(stored.hiddenUnits !== null ? { hiddenUnits: stored.hiddenUnits } : {}),
    },
    parameters: stored.parameters,
    contentHash: stored.contentHash,
  });
  const common = {
    partitionId: stored.partitionId,
    partitionIndex: stored.partitionIndex,
    partitionName: stored.partitionName,
    extractorId: model.extractorId,
    classes: model.classes,
    dimension: model.dimension,
    contentHash: stored.contentHash,
  };
  if (model.kind === 'linear') return { ...common, kind: 'linear', weights: model.weights, bias: model.bias };
  return {
    ...common,
    kind: 'square-mlp',
    weights: model.output.weights,
    bias: model.output.bias,
    layers: { inputs: model.inputs, hidden: model.hidden, output: model.output },
  };
}
