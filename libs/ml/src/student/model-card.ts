import { DomainError } from '@conclave/common';
import type { ModelSpec } from '../models/model.factory.js';
import type { ModelCard, StudentTrainResult } from './student.types.js';

/** Decimals of ε shown to people (rounded up). */
export const EPSILON_DECIMALS = 4;

export interface ModelCardInput {
  /** The trained student (trainStudent's result, or the same fields). */
  student: Pick<
    StudentTrainResult,
    'model' | 'spec' | 'method' | 'epochs' | 'steps' | 'seconds' | 'seed' | 'labeledCount' | 'unlabeledCount'
  >;
  /** The TensorFlow.js backend it trained on (initTensorflow's choice). */
  backend: string;
  evaluation: { accuracy: number; records: number; datasetId?: string };
  pool?: { datasetId?: string; records?: number };
  labeling?: ModelCard['labeling'];
  privacy: {
    /** As computed (not rounded): the card rounds it up. */
    epsilon: number;
    delta: number;
    conversion: string;
    epsilonKind: 'data-dependent' | 'data-independent';
    /** The data-independent bound, when `epsilon` is data-dependent. */
    epsilonDataIndependent?: number;
  };
  /** modelContentHash of the serialized model; exportStudent fills it in. */
  contentHash?: string;
  createdAt?: Date;
  intendedUse?: string;
  limitations?: string;
}

function invalid(message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `model card: ${message}`);
}

/**
 * ε for people: rounded UP to `decimals` decimals, so that a displayed budget never understates the privacy loss
 * (the same rule as @conclave/dp's roundEpsilonUp, which this lib does not depend on). The loop corrects the
 * floating-point error of `ε · 10^d` both ways.
 */
export function roundEpsilonUp(epsilon: number, decimals = EPSILON_DECIMALS): number {
  if (!(epsilon >= 0)) throw invalid('epsilon must be a number >= 0');
  if (epsilon === Infinity) return Infinity;
  const scale = 10 ** decimals;
  // The smallest k with k / scale >= ε: ε · scale may err either way (0.14 · 10^4 = 1400.0000000000002).
  let k = Math.ceil(epsilon * scale);
  while (k > 0 && (k - 1) / scale >= epsilon) k--;
  while (k / scale < epsilon) k++;
  return k / scale;
}

function checkCount(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${name} must be an integer >= 0`);
  return value;
}

/**
 * A student's model card (after Mitchell et al., "Model Cards for Model Reporting", FAT* 2019): what the model
 * is, which data and labels it learned from, at what privacy cost, how it was trained and how well it does.
 *
 * Privacy: ε is rounded up. A data-dependent ε (PATE's Confident-/Interactive-GNMax analysis) depends on the
 * teachers' votes and so is not itself differentially private: it may not be published without a private
 * release of it (Papernot et al., ICLR 2018, section 4.3; smooth sensitivity), so the card marks it not
 * publishable; a data-independent ε is publishable. A non-finite ε (non-private labels) gets no card.
 */
export function buildModelCard(input: ModelCardInput): ModelCard {
  const { student, privacy, evaluation } = input;
  if (!Number.isFinite(privacy.epsilon) || privacy.epsilon < 0) {
    throw invalid('epsilon must be a finite number >= 0 (labels released without privacy get no model card)');
  }
  if (!(privacy.delta >= 0 && privacy.delta < 1)) throw invalid('delta must be in [0, 1)');
  if (typeof privacy.conversion !== 'string' || privacy.conversion.length === 0) {
    throw invalid('conversion must be a non-empty string');
  }
  if (privacy.epsilonKind !== 'data-dependent' && privacy.epsilonKind !== 'data-independent') {
    throw invalid("epsilonKind must be 'data-dependent' or 'data-independent'");
  }
  if (
    privacy.epsilonDataIndependent !== undefined &&
    !(Number.isFinite(privacy.epsilonDataIndependent) && privacy.epsilonDataIndependent >= 0)
  ) {
    throw invalid('epsilonDataIndependent must be a finite number >= 0');
  }
  if (!(evaluation.accuracy >= 0 && evaluation.accuracy <= 1)) throw invalid('accuracy must be in [0, 1]');
  const spec: ModelSpec = student.spec;
  const labeledRecords = checkCount(student.labeledCount, 'labeledCount');
  const unlabeledRecords = checkCount(student.unlabeledCount, 'unlabeledCount');
  const poolRecords = checkCount(input.pool?.records ?? labeledRecords + unlabeledRecords, 'pool.records');
  const labeling: ModelCard['labeling'] = {};
  for (const key of ['jobId', 'mechanism', 'params', 'queriesAsked', 'queriesAnswered'] as const) {
    if (input.labeling?.[key] !== undefined) Object.assign(labeling, { [key]: input.labeling[key] });
  }
  const classes = spec.numClasses;
  return {
    schemaVersion: 1,
    model: {
      architecture: spec.architecture,
      inputShape: [...spec.inputShape],
      numClasses: classes,
      parameters: student.model.countParams(),
      contentHash: input.contentHash ?? '',
      format: 'tfjs-layers',
    },
    data: {
      ...(input.pool?.datasetId !== undefined ? { poolDatasetId: input.pool.datasetId } : {}),
      poolRecords,
      labeledRecords,
      unlabeledRecords,
      ...(evaluation.datasetId !== undefined ? { evaluationDatasetId: evaluation.datasetId } : {}),
      evaluationRecords: checkCount(evaluation.records, 'evaluation.records'),
    },
    labeling,
    privacy: {
      epsilon: roundEpsilonUp(privacy.epsilon),
      delta: privacy.delta,
      conversion: privacy.conversion,
      epsilonKind: privacy.epsilonKind,
      publishable: privacy.epsilonKind === 'data-independent',
      ...(privacy.epsilonDataIndependent !== undefined
        ? { epsilonDataIndependent: roundEpsilonUp(privacy.epsilonDataIndependent) }
        : {}),
    },
    training: {
      method: student.method,
      epochs: student.epochs,
      steps: student.steps,
      seconds: Math.round(student.seconds * 10) / 10,
      seed: student.seed,
      backend: input.backend,
    },
    evaluation: { accuracy: evaluation.accuracy, records: evaluation.records },
    createdAt: (input.createdAt ?? new Date()).toISOString(),
    intendedUse:
      input.intendedUse ??
      `Classifies records of the pool's schema into ${classes} classes. A PATE student: it learned from labels ` +
        'that teachers released under differential privacy, so it can be shared without exposing their data.',
    limitations:
      input.limitations ??
      `Accuracy measured on ${evaluation.records} held-out records only. The released labels are noisy. The ` +
        "privacy guarantee covers the teachers' data, not the student's pool, which PATE treats as public. Not " +
        'validated outside the distribution of that pool.',
  };
}
