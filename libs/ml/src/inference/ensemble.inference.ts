import * as tf from '@tensorflow/tfjs';
import { DomainError } from '@conclave/common';
import { buildFeatureMatrix, recordSize, type FeatureMatrix } from '../dataset/dataset.builder.js';

export interface PredictVotesOptions {
  /** Multi-label models: each class is voted for independently (sigmoid output >= threshold). */
  multiLabel?: boolean;
  /** Default 0.5. */
  threshold?: number;
  /** Queries per predict call (bounds activation memory). Default 1024. */
  batchSize?: number;
}

/** Each model's class for each query: `votes[q * numModels + m]`. */
export interface ClassVotes {
  kind: 'class';
  numQueries: number;
  numModels: number;
  numClasses: number;
  votes: Int32Array;
}

/** Each model's multi-hot vote for each query: `votes[(q * numModels + m) * numClasses + c]` is 0 or 1. */
export interface MultiLabelVotes {
  kind: 'multi-label';
  numQueries: number;
  numModels: number;
  numClasses: number;
  votes: Uint8Array;
}

export type VoteMatrix = ClassVotes | MultiLabelVotes;

function inputShapeOf(model: tf.LayersModel): number[] {
  return model.inputs[0].shape.slice(1) as number[];
}

/**
 * The vote computation, one model at a time: it yields after each model's predict, so that the async variant
 * can let the event loop run between models.
 */
function* voteSteps(
  models: readonly tf.LayersModel[],
  queries: readonly Float32Array[] | FeatureMatrix,
  options: PredictVotesOptions,
): Generator<void, VoteMatrix> {
  if (models.length === 0) throw new DomainError('VALIDATION_FAILED', 'no models to ask');
  const shape = inputShapeOf(models[0]);
  const numClasses = models[0].outputs[0].shape[1] as number;
  for (const model of models) {
    if (recordSize(inputShapeOf(model)) !== recordSize(shape) || model.outputs[0].shape[1] !== numClasses) {
      throw new DomainError('VALIDATION_FAILED', 'the models do not share one input and output shape');
    }
  }
  const matrix = Array.isArray(queries)
    ? buildFeatureMatrix(queries as Float32Array[], shape)
    : (queries as FeatureMatrix);
  const size = recordSize(shape);
  if (recordSize(matrix.featureShape) !== size) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `queries have ${recordSize(matrix.featureShape)} features, the models expect ${size}`,
    );
  }
  const multiLabel = options.multiLabel ?? false;
  const threshold = options.threshold ?? 0.5;
  const batchSize = options.batchSize ?? 1024;
  const numModels = models.length;
  const perVote = multiLabel ? numClasses : 1;
  const votes = multiLabel
    ? new Uint8Array(matrix.count * numModels * numClasses)
    : new Int32Array(matrix.count * numModels);

  for (let start = 0; start < matrix.count; start += batchSize) {
    const n = Math.min(batchSize, matrix.count - start);
    const xs = tf.tensor(matrix.features.subarray(start * size, (start + n) * size), [n, ...shape]);
    const perModel: tf.Tensor[] = [];
    try {
      for (const model of models) {
        // One tidy per model frees its activations before the next runs; only its small vote tensor survives.
        perModel.push(
          tf.tidy(() => {
            const out = model.apply(xs, { training: false }) as tf.Tensor2D;
            return multiLabel ? out.greaterEqual(threshold).cast('int32') : out.argMax(1);
          }),
        );
        yield;
      }
      // stack(axis 1) lays the chunk out query-major, [n, models(, classes)], as `votes` is: one read-back.
      const chunk = tf.tidy(() => tf.stack(perModel, 1).dataSync());
      votes.set(chunk, start * numModels * perVote);
    } finally {
      tf.dispose(perModel);
      xs.dispose();
    }
  }
  return multiLabel
    ? { kind: 'multi-label', numQueries: matrix.count, numModels, numClasses, votes: votes as Uint8Array }
    : { kind: 'class', numQueries: matrix.count, numModels, numClasses, votes: votes as Int32Array };
}

/**
 * Asks every model for its vote on every query. Each model runs one predict over the whole batch of queries
 * (chunked by `batchSize`); per model only the arg-max (or the thresholded outputs) is kept, and all models'
 * votes are read back in a single transfer per chunk. Concatenating the models' weights into one wider
 * network was measured and is no faster on WASM (inference is compute-bound); see libs/ml/README.md.
 */
export function predictVotes(
  models: readonly tf.LayersModel[],
  queries: readonly Float32Array[] | FeatureMatrix,
  options: PredictVotesOptions = {},
): VoteMatrix {
  const steps = voteSteps(models, queries, options);
  let step = steps.next();
  while (!step.done) step = steps.next();
  return step.value;
}

/** predictVotes that yields to the event loop between models (a CNN ensemble can take a second or more). */
export async function predictVotesAsync(
  models: readonly tf.LayersModel[],
  queries: readonly Float32Array[] | FeatureMatrix,
  options: PredictVotesOptions = {},
): Promise<VoteMatrix> {
  const steps = voteSteps(models, queries, options);
  let step = steps.next();
  while (!step.done) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    step = steps.next();
  }
  return step.value;
}

/** The models' votes on query `q` (a view, no copy): classes, or numModels x numClasses multi-hot rows. */
export function votesOfQuery(matrix: VoteMatrix, q: number): Int32Array | Uint8Array {
  const per = matrix.kind === 'class' ? matrix.numModels : matrix.numModels * matrix.numClasses;
  return matrix.votes.subarray(q * per, (q + 1) * per);
}
