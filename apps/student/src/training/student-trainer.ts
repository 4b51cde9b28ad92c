import { Inject, Injectable } from '@nestjs/common';
import { DomainError, isDomainError } from '@conclave/common';
import {
  AuditRepository,
  ConsortiumRepository,
  LabelingJobRepository,
  PrivacyBudgetRepository,
  StudentModelRepository,
  UnlabeledDatasetRepository,
  type StudentModelEntity,
  type StudentProgressRecord,
} from '@conclave/db';
import { isDataDependentEvent, type DpEvent } from '@conclave/dp';
import { PrivacyBudgetService } from '@conclave/guardian';
import { buildModelCard, evaluate, parseRecordSchema, trainStudent, type ModelCard } from '@conclave/ml';
import { StudentArtifactStore } from '../artifacts/student-artifact.store.js';
import { cardPrivacy } from '../model-card/model-card.privacy.js';
import { STUDENT_LOGGER, type StudentLogger } from '../student.logger.js';
import { StudentEnv } from '../student.env.js';
import { TensorflowRuntime } from '../tensorflow/tensorflow.runtime.js';
import { assembleEvaluationData, assembleTrainingData } from './training-data.assembler.js';

/** Progress is written to the registry at most this often (training reports every step). */
const PROGRESS_INTERVAL_MS = 1000;

/**
 * Trains one student to its end: the job's released labels (answered queries only) plus the rest of its pool
 * unlabeled → trainStudent → accuracy on the evaluation dataset → model card (data, job, mechanism, ε, δ,
 * conversion, accuracy) → export (TensorFlow.js layers format) → the registry row becomes 'trained'.
 */
@Injectable()
export class StudentTrainer {
  constructor(
    private readonly students: StudentModelRepository,
    private readonly jobs: LabelingJobRepository,
    private readonly budgetRows: PrivacyBudgetRepository,
    private readonly budgets: PrivacyBudgetService,
    private readonly consortia: ConsortiumRepository,
    private readonly unlabeled: UnlabeledDatasetRepository,
    private readonly audit: AuditRepository,
    private readonly artifacts: StudentArtifactStore,
    private readonly tensorflow: TensorflowRuntime,
    private readonly config: StudentEnv,
    @Inject(STUDENT_LOGGER) private readonly logger: StudentLogger,
  ) {}

  /**
   * One training run. A student no longer in training is left alone; one that has used up its attempts (killed
   * processes) fails with TRAINING_INTERRUPTED. An aborted `signal` (the process is stopping) rethrows, so the
   * queue runs it again later; any other failure marks the student failed with the error's code.
   */
  async run(studentId: string, signal?: AbortSignal): Promise<void> {
    const attempt = await this.students.startAttempt(studentId);
    if (attempt === null) return;
    if (attempt > this.config.STUDENT_TRAINING_ATTEMPTS) {
      await this.students.markFailed(studentId, 'TRAINING_INTERRUPTED');
      this.logger.warn({ studentId, attempts: attempt - 1 }, 'student training failed: too many interrupted runs');
      return;
    }
    try {
      await this.train(studentId, attempt, signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      const code = isDomainError(error) ? error.code : 'INTERNAL';
      if (isDomainError(error)) this.logger.warn({ studentId, code }, 'student training failed');
      else this.logger.error({ studentId, err: error }, 'student training failed');
      await this.students.markFailed(studentId, code);
    }
  }

  private async train(studentId: string, attempt: number, signal?: AbortSignal): Promise<void> {
    const student = await this.students.findById(studentId);
    const job = student?.jobId ? await this.jobs.findById(student.jobId) : null;
    const budget = job ? await this.budgetRows.findById(job.budgetId) : null;
    const dataset = student ? await this.consortia.findDataset(student.consortiumDatasetId) : null;
    const pool = job ? await this.unlabeled.findById(job.unlabeledDatasetId) : null;
    if (!student || !job || !budget || !dataset || !pool) {
      throw new DomainError('NOT_FOUND', 'The student, its job, budget, dataset or pool is gone');
    }
    this.logger.info({ studentId, version: student.version, jobId: job.id, attempt }, 'student training started');
    const schema = parseRecordSchema(dataset.recordSchema);
    const data = await assembleTrainingData(
      this.unlabeled.recordsWithReleasedLabels({ jobId: job.id, datasetId: pool.id }),
      schema,
      dataset.numClasses,
    );
    if (data.labeled.labels.length === 0) throw new DomainError('VALIDATION_FAILED', 'The job released no label');

    const request = student.trainingRequest ?? {};
    const progress = this.progressWriter(studentId);
    const result = await trainStudent(data, {
      architecture: request.architecture,
      method: request.method,
      preset: request.preset,
      epochs: request.epochs,
      seed: request.seed,
      signal,
      onProgress: progress,
    });
    try {
      const evaluation = await this.evaluate(student, schema, dataset.numClasses, result.model);
      const counts = await this.jobs.countByStatus(job.id);
      const status = await this.budgets.status(budget.id);
      const dataDependent = (await this.budgetRows.ledger(budget.id)).some((entry) =>
        isDataDependentEvent(entry.event as unknown as DpEvent),
      );
      const built = buildModelCard({
        student: result,
        backend: this.tensorflow.backend,
        evaluation: evaluation ?? { accuracy: 0, records: 0 },
        pool: { datasetId: pool.id, records: pool.recordCount },
        labeling: {
          jobId: job.id,
          mechanism: job.mechanism,
          params: job.params,
          queriesAsked: counts.answered + counts['refused-threshold'] + counts['refused-budget'],
          queriesAnswered: counts.answered,
        },
        privacy: cardPrivacy(status, dataDependent),
      });
      const card: ModelCard = evaluation ? built : withoutEvaluation(built);
      const exported = await this.artifacts.export(studentId, result.model, card);
      const trained = await this.students.markTrained(studentId, {
        method: result.method,
        architecture: result.spec.architecture,
        evaluationAccuracy: evaluation?.accuracy ?? null,
        artifactPath: exported.artifactPath,
        contentHash: exported.contentHash,
        modelCard: exported.card as unknown as Record<string, unknown>,
      });
      if (!trained) return; // failed or finished meanwhile (another run): nothing to record
      await this.audit.append({
        actor: student.requestedByKeyId ? { keyId: student.requestedByKeyId, role: 'querying-party' } : null,
        action: 'student.trained',
        targetType: 'student-model',
        targetId: studentId,
        details: {
          datasetId: dataset.id,
          version: student.version,
          jobId: job.id,
          contentHash: exported.contentHash,
          labeledRecords: result.labeledCount,
          unlabeledRecords: result.unlabeledCount,
          evaluationRecords: evaluation?.records ?? 0,
        },
      });
      this.logger.info(
        {
          studentId,
          version: student.version,
          method: result.method,
          steps: result.steps,
          seconds: Math.round(result.seconds),
          evaluated: evaluation !== null,
        },
        'student trained',
      );
    } finally {
      result.model.dispose();
    }
  }

  private async evaluate(
    student: StudentModelEntity,
    schema: ReturnType<typeof parseRecordSchema>,
    numClasses: number,
    model: Parameters<typeof evaluate>[0],
  ): Promise<{ accuracy: number; records: number; datasetId: string } | null> {
    if (!student.evaluationDatasetId) return null;
    const data = await assembleEvaluationData(this.unlabeled.records(student.evaluationDatasetId), schema, numClasses);
    if (data.count === 0) throw new DomainError('VALIDATION_FAILED', 'The evaluation dataset holds no record');
    return { accuracy: evaluate(model, data), records: data.count, datasetId: student.evaluationDatasetId };
  }

  /** Writes progress to the registry at most once a second, never holding training up (one write in flight). */
  private progressWriter(studentId: string): (p: Omit<StudentProgressRecord, 'fraction'>) => void {
    let last = 0;
    let writing = false;
    return (p) => {
      const now = Date.now();
      const final = p.epoch === p.epochs && p.step === p.steps;
      if (writing || (!final && now - last < PROGRESS_INTERVAL_MS)) return;
      last = now;
      writing = true;
      const fraction = ((p.epoch - 1) * p.steps + p.step) / (p.epochs * p.steps);
      this.students
        .updateProgress(studentId, { ...p, fraction, loss: Number.isFinite(p.loss) ? p.loss : -1 })
        .catch((error: unknown) => this.logger.warn({ studentId, err: error }, 'could not record training progress'))
        .finally(() => {
          writing = false;
        });
    };
  }
}

/** A card for a student trained without an evaluation dataset: no accuracy is claimed. */
function withoutEvaluation(card: ModelCard): ModelCard {
  return {
    ...card,
    evaluation: { accuracy: null, records: 0 } as unknown as ModelCard['evaluation'],
    limitations:
      'Not evaluated: no held-out evaluation dataset was given. The released labels are noisy. The privacy ' +
      "guarantee covers the teachers' data, not the student's pool, which PATE treats as public.",
  };
}
