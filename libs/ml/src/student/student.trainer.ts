import { randomInt } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { DomainError } from '@conclave/common';
import { createModel, type ModelSpec } from '../models/model.factory.js';
import { featureCount, featureShape } from '../schema/record.schema.js';
import {
  DEFAULT_STRONG_AUGMENTATION,
  SeededUniforms,
  ShuffledStream,
  strongViewInto,
  weakViewInto,
  type StrongAugmentation,
} from './student.augmentation.js';
import { studentModelSpec } from './student.model.js';
import type { StudentMethod, StudentTrainingData, StudentTrainOptions, StudentTrainResult } from './student.types.js';

/** The options trainStudent runs with once the preset's defaults are filled in. */
interface ResolvedOptions {
  method: StudentMethod;
  epochs: number;
  batchSize: number;
  learningRate: number;
  confidenceThreshold: number;
  unlabeledRatio: number;
  unlabeledWeight: number;
  warmupEpochs: number;
  maxShift: number;
  strong: StrongAugmentation;
  /** 0 = no weight averaging. */
  weightAverageDecay: number;
  pseudoLabelsFromAverage: boolean;
  distributionAlignment: boolean;
  classThresholds: boolean;
  labelSmoothing: number;
  weightDecay: number;
  dropContradictedLabels: number;
}

/**
 * Defaults per preset, measured on MNIST (286–373 labels, the rest of the 9,000-image pool unlabeled) on the WASM
 * backend with 2 shared cores; see tools/src/student-experiment.ts. An epoch is one pass over the unlabeled pool for
 * FixMatch, over the labeled records otherwise. `full` FixMatch runs 40 epochs: on 373 labels with 3.5 % of them
 * wrong, seeds 1–3 gave 98.8 / 99.1 / 98.3 % against 98.4 / 99.0 / 97.7 % with 20 (about 4 instead of 2 minutes).
 */
const PRESETS = {
  quick: {
    fixmatch: { epochs: 7, warmupEpochs: 1 },
    supervised: { epochs: 60 },
  },
  full: {
    fixmatch: { epochs: 40, warmupEpochs: 1 },
    supervised: { epochs: 150 },
  },
} as const;

/**
 * An exponential moving average of the weights, kept as a second model (FixMatch evaluates with one; Sohn et al.,
 * NeurIPS 2020, section 4): it smooths out the noise of the last steps at the cost of one multiply-add per weight
 * and step. The models have no non-trainable weights (no batch normalisation).
 */
class AveragedModel {
  readonly model: tf.LayersModel;
  private readonly averages: tf.Variable[];

  constructor(
    spec: ModelSpec,
    private readonly variables: tf.Variable[],
    private readonly decay: number,
  ) {
    this.model = createModel(spec);
    this.averages = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.averages.forEach((a, i) => a.assign(variables[i]));
  }

  /**
   * After step `step` (0-based). The decay ramps up as min(decay, (1 + t) / (10 + t)), as in TensorFlow's
   * ExponentialMovingAverage with num_updates, so that short runs are not dominated by the initial weights.
   */
  update(step: number): void {
    const decay = Math.min(this.decay, (1 + step) / (10 + step));
    tf.tidy(() => {
      this.averages.forEach((a, i) => a.assign(tf.add(tf.mul(a, decay), tf.mul(this.variables[i], 1 - decay))));
    });
  }
}

/** Adam whose step size can follow a schedule (tf's AdamOptimizer keeps it in a protected field). */
class ScheduledAdam extends tf.AdamOptimizer {
  constructor(learningRate: number) {
    super(learningRate, 0.9, 0.999);
  }

  setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
  }
}

/**
 * Marks in `keep` (0 = drop) the labeled records whose label `model` contradicts: another class predicted with
 * probability >= `threshold` on the unaugmented record. Returns how many are dropped.
 */
function contradictedLabels(
  model: tf.LayersModel,
  labeled: StudentTrainingData['labeled'],
  shape: number[],
  k: number,
  threshold: number,
  keep: Uint8Array,
): number {
  const n = labeled.labels.length;
  const probabilities = tf.tidy(
    () =>
      (
        model.predict(tf.tensor(labeled.features, [n, ...shape]), { batchSize: 256 }) as tf.Tensor2D
      ).dataSync() as Float32Array,
  );
  let dropped = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probabilities[i * k + c] > probabilities[i * k + best]) best = c;
    const contradicted = best !== labeled.labels[i] && probabilities[i * k + best] >= threshold;
    keep[i] = contradicted ? 0 : 1;
    if (contradicted) dropped += 1;
  }
  return dropped;
}

function invalid(message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `student training: ${message}`);
}

/** Index of the first non-finite value, or -1. Callers report the record, never the value. */
function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

function checkData(data: StudentTrainingData): { size: number; labeledCount: number; unlabeledCount: number } {
  const { schema, numClasses, labeled, unlabeled } = data;
  if (schema?.kind !== 'image' && schema?.kind !== 'tabular') throw invalid("schema.kind must be 'image' or 'tabular'");
  if (schema.label?.multiLabel) throw invalid('multi-label data is not supported');
  if (!Number.isInteger(numClasses) || numClasses < 2) throw invalid('numClasses must be an integer >= 2');
  if (schema.label && schema.label.numClasses !== numClasses) {
    throw invalid(`numClasses (${numClasses}) differs from the schema's (${schema.label.numClasses})`);
  }
  if (!(labeled?.features instanceof Float32Array) || !(labeled.labels instanceof Int32Array)) {
    throw invalid('labeled.features must be a Float32Array and labeled.labels an Int32Array');
  }
  if (!(unlabeled instanceof Float32Array)) throw invalid('unlabeled must be a Float32Array');
  const size = featureCount(schema);
  const labeledCount = labeled.labels.length;
  if (labeledCount === 0) throw invalid('no labeled records');
  if (labeled.features.length !== labeledCount * size) {
    throw invalid(`labeled.features holds ${labeled.features.length} values, expected ${labeledCount} x ${size}`);
  }
  if (unlabeled.length % size !== 0) {
    throw invalid(`unlabeled holds ${unlabeled.length} values, not a multiple of ${size} features per record`);
  }
  const badLabel = labeled.labels.findIndex((c) => c < 0 || c >= numClasses);
  if (badLabel >= 0) throw invalid(`labeled record ${badLabel}: label outside [0, ${numClasses})`);
  const badLabeled = firstNonFinite(labeled.features);
  if (badLabeled >= 0) throw invalid(`labeled record ${Math.floor(badLabeled / size)}: a feature is NaN or infinite`);
  const badUnlabeled = firstNonFinite(unlabeled);
  if (badUnlabeled >= 0) {
    throw invalid(`unlabeled record ${Math.floor(badUnlabeled / size)}: a feature is NaN or infinite`);
  }
  return { size, labeledCount, unlabeledCount: unlabeled.length / size };
}

function resolveOptions(
  options: StudentTrainOptions,
  data: StudentTrainingData,
  unlabeledCount: number,
): ResolvedOptions {
  const image = data.schema.kind === 'image';
  const method = options.method ?? (image && unlabeledCount > 0 ? 'fixmatch' : 'supervised');
  if (method !== 'fixmatch' && method !== 'supervised') throw invalid("method must be 'supervised' or 'fixmatch'");
  if (method === 'fixmatch' && unlabeledCount === 0) throw invalid('fixmatch needs unlabeled records');
  const preset = options.preset ?? 'full';
  if (preset !== 'quick' && preset !== 'full') throw invalid("preset must be 'quick' or 'full'");
  const defaults = PRESETS[preset];
  const resolved: ResolvedOptions = {
    method,
    epochs: options.epochs ?? defaults[method].epochs,
    batchSize: options.batchSize ?? 32,
    learningRate: options.learningRate ?? (method === 'fixmatch' ? 0.004 : 0.002),
    confidenceThreshold: options.confidenceThreshold ?? 0.9,
    unlabeledRatio: options.unlabeledRatio ?? 4,
    unlabeledWeight: options.unlabeledWeight ?? 1,
    warmupEpochs: options.warmupEpochs ?? (method === 'fixmatch' ? defaults.fixmatch.warmupEpochs : 0),
    maxShift: image ? 2 : 0,
    strong: { ...DEFAULT_STRONG_AUGMENTATION, ...options.strongAugmentation },
    weightAverageDecay: options.weightAverageDecay ?? (method === 'fixmatch' ? 0.99 : 0),
    pseudoLabelsFromAverage:
      options.pseudoLabelsFromAverage ?? (method === 'fixmatch' && (options.weightAverageDecay ?? 0.99) > 0),
    distributionAlignment: options.distributionAlignment ?? method === 'fixmatch',
    classThresholds: options.classThresholds ?? false,
    labelSmoothing: options.labelSmoothing ?? 0,
    weightDecay: options.weightDecay ?? 0,
    dropContradictedLabels: options.dropContradictedLabels ?? (method === 'fixmatch' ? 0.9 : 0),
  };
  const positiveInteger = (v: number) => Number.isSafeInteger(v) && v > 0;
  const positive = (v: number) => Number.isFinite(v) && v > 0;
  if (!positiveInteger(resolved.epochs)) throw invalid('epochs must be a positive integer');
  if (!positiveInteger(resolved.batchSize)) throw invalid('batchSize must be a positive integer');
  if (!positive(resolved.learningRate)) throw invalid('learningRate must be a positive number');
  if (!(resolved.confidenceThreshold > 0 && resolved.confidenceThreshold <= 1)) {
    throw invalid('confidenceThreshold must be in (0, 1]');
  }
  if (!positive(resolved.unlabeledRatio)) throw invalid('unlabeledRatio must be a positive number');
  if (!(Number.isFinite(resolved.unlabeledWeight) && resolved.unlabeledWeight >= 0)) {
    throw invalid('unlabeledWeight must be a number >= 0');
  }
  if (!(Number.isSafeInteger(resolved.warmupEpochs) && resolved.warmupEpochs >= 0)) {
    throw invalid('warmupEpochs must be an integer >= 0');
  }
  if (!(resolved.weightAverageDecay >= 0 && resolved.weightAverageDecay < 1)) {
    throw invalid('weightAverageDecay must be in [0, 1)');
  }
  if (resolved.pseudoLabelsFromAverage && !(resolved.weightAverageDecay > 0)) {
    throw invalid('pseudoLabelsFromAverage needs weightAverageDecay > 0');
  }
  if (!(resolved.dropContradictedLabels >= 0 && resolved.dropContradictedLabels <= 1)) {
    throw invalid('dropContradictedLabels must be in [0, 1]');
  }
  if (!(resolved.labelSmoothing >= 0 && resolved.labelSmoothing < 1)) throw invalid('labelSmoothing must be in [0, 1)');
  if (!(Number.isFinite(resolved.weightDecay) && resolved.weightDecay >= 0)) {
    throw invalid('weightDecay must be a number >= 0');
  }
  return resolved;
}

/**
 * Trains the PATE student (Papernot et al., "Scalable Private Learning with PATE", ICLR 2018, section 4: a
 * student learns from the few labels the aggregator released plus the unlabeled rest of its pool).
 *
 * - 'supervised': cross-entropy on the labeled records, images randomly shifted by up to 2 pixels.
 * - 'fixmatch' (Sohn et al., "FixMatch", NeurIPS 2020): each step takes B labeled and μB unlabeled records; the
 *   current model labels a weak view (random shift) of each unlabeled record, and where its top probability
 *   reaches τ, the arg-max becomes the target for a strong view (affine distortion, contrast, cutout). Loss =
 *   CE(labeled) + λ · Σ_confident CE(strong, pseudo-label) / μB. Only the confident records go through the
 *   backward pass — the masked terms contribute nothing, and skipping them saves most of the early steps' cost
 *   (the model has no batch normalisation, so the batch composition does not matter). For tabular data the
 *   views are the records themselves: plain confidence-thresholded pseudo-labeling (Lee, 2013).
 *
 * Adam with FixMatch's cosine decay of the step size (η · cos(7πk / 16K)). Everything runs in tf.tidy scopes; the
 * optimizer is freed at the end; the returned model is the caller's to dispose. Yields to the event loop between
 * steps and checks `signal` there.
 */
export async function trainStudent(
  data: StudentTrainingData,
  options: StudentTrainOptions = {},
): Promise<StudentTrainResult> {
  const { size, labeledCount, unlabeledCount } = checkData(data);
  const config = resolveOptions(options, data, unlabeledCount);
  const seed = options.seed ?? randomInt(0, 2 ** 31 - 1);
  if (!(Number.isSafeInteger(seed) && seed >= 0)) throw invalid('seed must be a non-negative integer');
  const started = performance.now();
  const { schema, numClasses: k, labeled, unlabeled } = data;
  const image = schema.kind === 'image';
  const shape = featureShape(schema);
  const spec = { ...studentModelSpec(schema, k, options.architecture, options.cnn), seed };
  const model = createModel(spec);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = new ScheduledAdam(config.learningRate);
  const average =
    config.weightAverageDecay > 0 ? new AveragedModel(spec, variables, config.weightAverageDecay) : undefined;
  const random = new SeededUniforms(seed);
  const labeledStream = new ShuffledStream(labeledCount, random);
  const unlabeledStream = unlabeledCount > 0 ? new ShuffledStream(unlabeledCount, random) : undefined;

  const fixmatch = config.method === 'fixmatch';
  const b = config.batchSize;
  const unlabeledBatch = fixmatch ? Math.max(1, Math.round(config.unlabeledRatio * b)) : 0;
  const stepsPerEpoch = fixmatch
    ? Math.max(Math.ceil(unlabeledCount / unlabeledBatch), Math.ceil(labeledCount / b))
    : Math.ceil(labeledCount / b);
  const totalSteps = config.epochs * stepsPerEpoch;
  const batchX = new Float32Array((b + unlabeledBatch) * size);
  const batchY = new Float32Array((b + unlabeledBatch) * k);
  const weights = new Float32Array(b + unlabeledBatch);
  const weakX = new Float32Array(unlabeledBatch * size);
  const weakIndex = new Int32Array(unlabeledBatch);
  // Distribution alignment (ReMixMatch, Berthelot et al., ICLR 2020): the weak view's class probabilities are
  // multiplied by target / running mean of the model's predictions and renormalised before thresholding, so that
  // the pseudo-labels do not drift towards the classes the model already favours. Target: the labeled records'
  // class frequencies (add-one smoothed).
  const target = new Float64Array(k).fill(1);
  for (const c of labeled.labels) target[c] += 1;
  const targetSum = target.reduce((x, y) => x + y, 0);
  for (let c = 0; c < k; c++) target[c] /= targetSum;
  const runningMean = Float64Array.from(target);
  const aligned = new Float64Array(k);
  // FlexMatch's class-wise thresholds (Zhang et al., NeurIPS 2021): the latest confident class of every unlabeled
  // record (-1: none yet); class c's threshold is τ · M(β_c) with β_c = σ_c / max(max_c' σ_c', unused), σ_c the
  // records last confidently predicted as c, and M(β) = β / (2 - β): classes the model has learned less of get a
  // lower bar.
  const lastConfident = new Int8Array(unlabeledCount).fill(-1);
  const learned = new Float64Array(k);
  let unused = unlabeledCount;
  const thresholds = new Float64Array(k).fill(config.confidenceThreshold);
  // Labeled records whose (possibly wrong) label the model contradicts with confidence >= dropContradictedLabels,
  // re-checked every epoch once the unlabeled loss is on: they leave the labeled loss (weight 0) for that epoch.
  const keep = new Uint8Array(labeledCount).fill(1);
  let dropped = 0;
  // Decoupled weight decay (AdamW, Loshchilov & Hutter, ICLR 2019) on the kernels, not the biases.
  const decayed = variables.filter((v) => /kernel/.test(v.name));
  let steps = 0;
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const useUnlabeled = fixmatch && epoch > config.warmupEpochs;
      if (config.dropContradictedLabels > 0 && useUnlabeled) {
        dropped = contradictedLabels(average?.model ?? model, labeled, shape, k, config.dropContradictedLabels, keep);
      }
      for (let step = 1; step <= stepsPerEpoch; step++) {
        options.signal?.throwIfAborted();
        // FixMatch's cosine decay: η · cos(7πk / 16K) (Sohn et al., NeurIPS 2020, section 3).
        const learningRate = config.learningRate * Math.cos((7 * Math.PI * steps) / (16 * totalSteps));
        optimizer.setLearningRate(learningRate);
        batchY.fill(0);
        const smoothing = config.labelSmoothing;
        for (let i = 0; i < b; i++) {
          const r = labeledStream.next();
          if (image) weakViewInto(labeled.features, r * size, shape, config.maxShift, random, batchX, i * size);
          else batchX.set(labeled.features.subarray(r * size, (r + 1) * size), i * size);
          if (smoothing > 0) batchY.fill(smoothing / k, i * k, (i + 1) * k);
          batchY[i * k + labeled.labels[r]] = 1 - smoothing + smoothing / k;
          weights[i] = keep[r] / b;
        }
        let rows = b;
        let pseudoLabelRate = 0;
        if (useUnlabeled && unlabeledStream) {
          for (let j = 0; j < unlabeledBatch; j++) {
            const r = unlabeledStream.next();
            weakIndex[j] = r;
            if (image) weakViewInto(unlabeled, r * size, shape, config.maxShift, random, weakX, j * size);
            else weakX.set(unlabeled.subarray(r * size, (r + 1) * size), j * size);
          }
          const probabilities = tf.tidy(() => {
            const xs = tf.tensor(weakX, [unlabeledBatch, ...shape]);
            const labeler = config.pseudoLabelsFromAverage && average ? average.model : model;
            return (labeler.predict(xs, { batchSize: unlabeledBatch }) as tf.Tensor2D).dataSync() as Float32Array;
          });
          if (config.distributionAlignment) {
            const batchMean = new Float64Array(k);
            for (let j = 0; j < unlabeledBatch; j++)
              for (let c = 0; c < k; c++) batchMean[c] += probabilities[j * k + c];
            for (let c = 0; c < k; c++) runningMean[c] = 0.99 * runningMean[c] + (0.01 * batchMean[c]) / unlabeledBatch;
          }
          const unlabeledWeight = config.unlabeledWeight / unlabeledBatch;
          for (let j = 0; j < unlabeledBatch; j++) {
            let best = 0;
            let confidence: number;
            if (config.distributionAlignment) {
              let sum = 0;
              for (let c = 0; c < k; c++) sum += aligned[c] = (probabilities[j * k + c] * target[c]) / runningMean[c];
              for (let c = 1; c < k; c++) if (aligned[c] > aligned[best]) best = c;
              confidence = aligned[best] / sum;
            } else {
              for (let c = 1; c < k; c++) if (probabilities[j * k + c] > probabilities[j * k + best]) best = c;
              confidence = probabilities[j * k + best];
            }
            const r = weakIndex[j];
            if (config.classThresholds && confidence >= config.confidenceThreshold && lastConfident[r] !== best) {
              if (lastConfident[r] < 0) unused -= 1;
              else learned[lastConfident[r]] -= 1;
              lastConfident[r] = best;
              learned[best] += 1;
            }
            if (confidence < thresholds[best]) continue;
            if (image) strongViewInto(unlabeled, r * size, shape, config.strong, random, batchX, rows * size);
            else batchX.set(unlabeled.subarray(r * size, (r + 1) * size), rows * size);
            batchY[rows * k + best] = 1;
            weights[rows] = unlabeledWeight;
            rows += 1;
          }
          pseudoLabelRate = (rows - b) / unlabeledBatch;
          if (config.classThresholds) {
            const most = Math.max(unused, ...learned);
            for (let c = 0; c < k; c++) {
              const beta = most > 0 ? learned[c] / most : 1;
              thresholds[c] = (config.confidenceThreshold * beta) / (2 - beta);
            }
          }
        }
        const loss = tf.tidy(() => {
          const xs = tf.tensor(batchX.subarray(0, rows * size), [rows, ...shape]);
          const ys = tf.tensor2d(batchY.subarray(0, rows * k), [rows, k]);
          const rowWeights = tf.tensor1d(weights.subarray(0, rows));
          const value = optimizer.minimize(
            () => {
              const out = model.apply(xs, { training: true }) as tf.Tensor2D;
              return tf.sum(tf.mul(tf.metrics.categoricalCrossentropy(ys, out), rowWeights)) as tf.Scalar;
            },
            true,
            variables,
          );
          if (config.weightDecay > 0) {
            const factor = 1 - learningRate * config.weightDecay;
            for (const v of decayed) v.assign(tf.mul(v, factor));
          }
          return (value as tf.Scalar).dataSync()[0];
        });
        average?.update(steps);
        steps += 1;
        options.onProgress?.({
          epoch,
          epochs: config.epochs,
          step,
          steps: stepsPerEpoch,
          loss,
          pseudoLabelRate,
          droppedLabels: dropped,
        });
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      options.onEpochEnd?.(epoch, average?.model ?? model);
    }
  } catch (error) {
    model.dispose();
    average?.model.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
  // The averaged weights are the result.
  if (average) model.dispose();
  return {
    model: average?.model ?? model,
    spec,
    method: config.method,
    epochs: config.epochs,
    steps,
    seconds: (performance.now() - started) / 1000,
    seed,
    labeledCount,
    unlabeledCount,
  };
}
