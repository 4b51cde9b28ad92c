import type * as tf from '@tensorflow/tfjs';
import type { Architecture, ModelSpec } from '../models/model.factory.js';
import type { RecordSchema } from '../schema/record.schema.js';
import type { StrongAugmentation } from './student.augmentation.js';

/**
 * How the student learns: 'supervised' uses only the labeled records; 'fixmatch' adds a consistency loss on the
 * unlabeled pool (FixMatch: Sohn et al., NeurIPS 2020) — for tabular data, plain confidence-thresholded
 * pseudo-labeling without augmentation.
 */
export type StudentMethod = 'supervised' | 'fixmatch';

/** The student's data: the guardian's released (noisy) labels and the rest of the pool, unlabeled. */
export interface StudentTrainingData {
  /** Image or tabular; single-label only. */
  schema: RecordSchema;
  numClasses: number;
  /** n × featureCount(schema), row-major, with one class index per record. */
  labeled: { features: Float32Array; labels: Int32Array };
  /** m × featureCount(schema), row-major; may be empty. */
  unlabeled: Float32Array;
}

export interface StudentCnnOptions {
  filters?: number[];
  kernelSize?: number;
  denseUnits?: number;
  padding?: 'valid' | 'same';
  dropout?: number;
}

export interface StudentTrainOptions {
  /** Default: 'cnn' for images, 'mlp' for tabular data. */
  architecture?: Architecture;
  /** Default: 'fixmatch' when unlabeled records exist and the schema is an image, else 'supervised'. */
  method?: StudentMethod;
  /**
   * FixMatch: passes over the unlabeled pool (default 7 quick, 20 full); supervised: passes over the labeled
   * records (default 60 quick, 150 full).
   */
  epochs?: number;
  /** Labeled records per step. Default 32. */
  batchSize?: number;
  /** Adam's peak step size, decayed over the run. Default 0.004 for FixMatch, 0.002 for supervised training. */
  learningRate?: number;
  /** FixMatch's τ: a pseudo-label counts only where the weak view's top probability reaches it. Default 0.9. */
  confidenceThreshold?: number;
  /** μ: unlabeled records per step = μ × batchSize. Default 4. */
  unlabeledRatio?: number;
  /** λ: weight of the unlabeled loss. Default 1. */
  unlabeledWeight?: number;
  /** Supervised-only epochs before the unlabeled loss starts (part of `epochs`). Default 1 for FixMatch. */
  warmupEpochs?: number;
  /**
   * Decay of an exponential moving average of the weights, which the returned model gets (0 = none). Default
   * 0.99 for FixMatch, 0 for supervised training.
   */
  weightAverageDecay?: number;
  /**
   * FixMatch: pseudo-label with the weight average (a mean teacher) instead of the current model. Default true when
   * there is a weight average (FixMatch's default).
   */
  pseudoLabelsFromAverage?: boolean;
  /** FixMatch: FlexMatch's class-wise thresholds, lower for the classes learned less so far. Default false. */
  classThresholds?: boolean;
  /** FixMatch: distribution alignment of the pseudo-label probabilities (ReMixMatch). Default true for FixMatch. */
  distributionAlignment?: boolean;
  /**
   * FixMatch: from the first epoch with the unlabeled loss, every epoch, labeled records whose label the model
   * (the weight average when there is one) contradicts with at least this confidence leave the labeled loss for
   * that epoch: the released labels may be wrong. 0 = off. Default 0.9 for FixMatch, 0 otherwise.
   */
  dropContradictedLabels?: number;
  /** Label smoothing ε of the labeled records' targets (they may be wrong). Default 0. */
  labelSmoothing?: number;
  /** Decoupled weight decay of the kernels per unit step size (AdamW: w -= η · decay · w). Default 0. */
  weightDecay?: number;
  /** CNN students: overrides of the architecture (filters, kernel size, dense units, padding, dropout). */
  cnn?: StudentCnnOptions;
  /** Images, FixMatch: overrides of the strong view's distortions. */
  strongAugmentation?: Partial<StrongAugmentation>;
  /** Defaults for everything above: 'quick' ≈ 1 min, 'full' ≈ ≤ 5 min on MNIST (WASM, 2 cores). Default 'full'. */
  preset?: 'quick' | 'full';
  /** Seeds the initial weights, shuffling and augmentation (not privacy-relevant). Default: random. */
  seed?: number;
  onProgress?: (p: StudentProgress) => void;
  /**
   * Called after each epoch with the model as it would be returned now (the weight average when there is one),
   * e.g. to evaluate it; it must not dispose it.
   */
  onEpochEnd?: (epoch: number, model: tf.LayersModel) => void;
  /** Checked between steps: an aborted signal stops training with the signal's reason. */
  signal?: AbortSignal;
}

export interface StudentProgress {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** 1-based within the epoch. */
  step: number;
  steps: number;
  /** Of this step (combined loss). */
  loss: number;
  /** Fraction of this step's unlabeled records whose pseudo-label passed the threshold (0 when none are used). */
  pseudoLabelRate: number;
  /** Labeled records currently left out of the labeled loss (dropContradictedLabels). */
  droppedLabels: number;
}

export interface StudentTrainResult {
  model: tf.LayersModel;
  spec: ModelSpec;
  method: StudentMethod;
  epochs: number;
  /** Optimizer steps in all. */
  steps: number;
  seconds: number;
  seed: number;
  labeledCount: number;
  unlabeledCount: number;
}

/** Privacy of the labels the student learned from, as shown to people (ε rounded up). */
export interface ModelCardPrivacy {
  epsilon: number;
  delta: number;
  /** How the RDP guarantee was converted to (ε, δ), e.g. 'improved' or 'basic'. */
  conversion: string;
  /**
   * 'data-dependent' ε depends on the votes and is itself not differentially private: it may not be published
   * as it is (Papernot et al., ICLR 2018, section 4); a 'data-independent' ε may.
   */
  epsilonKind: 'data-dependent' | 'data-independent';
  publishable: boolean;
  /** The data-independent bound, when known alongside a data-dependent ε (publishable). */
  epsilonDataIndependent?: number;
}

/** A plain, JSON-serialisable description of a trained student (cf. Mitchell et al., "Model Cards", FAT* 2019). */
export interface ModelCard {
  schemaVersion: 1;
  model: {
    architecture: Architecture;
    inputShape: number[];
    numClasses: number;
    parameters: number;
    /** SHA-256 of the serialized model (modelContentHash); empty until exported. */
    contentHash: string;
    format: 'tfjs-layers';
  };
  data: {
    poolDatasetId?: string;
    poolRecords: number;
    labeledRecords: number;
    unlabeledRecords: number;
    evaluationDatasetId?: string;
    evaluationRecords: number;
  };
  labeling: {
    jobId?: string;
    mechanism?: string;
    params?: Record<string, unknown>;
    queriesAsked?: number;
    queriesAnswered?: number;
  };
  privacy: ModelCardPrivacy;
  training: {
    method: StudentMethod;
    epochs: number;
    steps: number;
    seconds: number;
    seed: number;
    backend: string;
  };
  evaluation: { accuracy: number; records: number };
  /** ISO 8601. */
  createdAt: string;
  intendedUse: string;
  limitations: string;
}
