import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { DomainError, type Principal } from '@conclave/common';
import {
  AuditRepository,
  ConsortiumRepository,
  LabelingJobRepository,
  overallDiscardStatus,
  PrivacyBudgetRepository,
  StudentModelRepository,
  TeacherDiscardRepository,
  UnlabeledDatasetRepository,
  type ConsortiumDatasetEntity,
  type StudentModelEntity,
} from '@conclave/db';
import { TeacherDiscardQueue } from '@conclave/guardian';
import { parseRecordSchema, type ModelCardPrivacy } from '@conclave/ml';
import { STUDENT_FILES, StudentArtifactStore, type StudentFile } from '../artifacts/student-artifact.store.js';
import { publicModelCard } from '../model-card/model-card.privacy.js';
import { StudentTrainingQueue } from '../training/student-training.queue.js';
import {
  mapDiscardStatus,
  mapStudent,
  type AcceptedStudentDto,
  type CreateStudentDto,
  type DiscardStatusDto,
  type StudentCreatedDto,
  type StudentDto,
} from './dto/student.dto.js';

/** Students that may be downloaded, deployed or served. */
const EXPORTED = new Set(['trained', 'accepted', 'superseded']);

/**
 * The student registry as querying parties and operators see it: train a student from a finished job's released
 * labels, follow it, download its export, and (operators) accept it — which deploys it for its dataset and has the
 * guardian discard the dataset's teachers. A querying party sees the students of its consortium's datasets and
 * trains students from its own jobs only.
 */
@Injectable()
export class StudentsService {
  constructor(
    private readonly students: StudentModelRepository,
    private readonly jobs: LabelingJobRepository,
    private readonly budgets: PrivacyBudgetRepository,
    private readonly consortia: ConsortiumRepository,
    private readonly unlabeled: UnlabeledDatasetRepository,
    private readonly discards: TeacherDiscardRepository,
    private readonly audit: AuditRepository,
    private readonly trainingQueue: StudentTrainingQueue,
    private readonly discardQueue: TeacherDiscardQueue,
    private readonly artifacts: StudentArtifactStore,
  ) {}

  async create(dto: CreateStudentDto, caller: Principal): Promise<StudentCreatedDto> {
    const partyId = caller.role === 'admin' ? null : requireParty(caller);
    const job = await this.jobs.findById(dto.jobId);
    if (!job || (partyId !== null && job.requestedByPartyId !== partyId)) {
      throw new DomainError('NOT_FOUND', 'No such labeling job of yours');
    }
    if (job.status !== 'completed' && job.status !== 'budget-exhausted') {
      throw new DomainError('JOB_NOT_FINISHED', `The job is ${job.status}: a student learns from a finished job`);
    }
    const budget = await this.budgets.findById(job.budgetId);
    const dataset = budget ? await this.consortia.findDataset(budget.consortiumDatasetId) : null;
    if (!dataset) throw new DomainError('NOT_FOUND', "The job's dataset is gone");
    if (dataset.labelKind !== 'single-label') {
      throw new DomainError('VALIDATION_FAILED', 'Students are trained on single-label datasets only');
    }
    if (job.queriesAnswered === 0) {
      throw new DomainError('VALIDATION_FAILED', 'The job released no label: there is nothing to learn from');
    }
    if (dto.architecture === 'cnn' && parseRecordSchema(dataset.recordSchema).kind !== 'image') {
      throw new DomainError('VALIDATION_FAILED', 'The cnn architecture needs image data');
    }
    if (dto.evaluationDatasetId) await this.checkEvaluationDataset(dto.evaluationDatasetId, dataset, partyId);

    const student = await this.students.createTraining({
      consortiumDatasetId: dataset.id,
      jobId: job.id,
      evaluationDatasetId: dto.evaluationDatasetId ?? null,
      requestedByPartyId: partyId,
      requestedByKeyId: caller.keyId,
      trainingRequest: {
        ...(dto.architecture ? { architecture: dto.architecture } : {}),
        ...(dto.method ? { method: dto.method } : {}),
        ...(dto.preset ? { preset: dto.preset } : {}),
        ...(dto.epochs !== undefined ? { epochs: dto.epochs } : {}),
        ...(dto.seed !== undefined ? { seed: dto.seed } : {}),
      },
    });
    try {
      await this.trainingQueue.enqueue(student.id);
    } catch (error) {
      await this.students.markFailed(student.id, 'UPSTREAM_UNAVAILABLE');
      throw error;
    }
    await this.audit.append({
      actor: caller,
      action: 'student.requested',
      targetType: 'student-model',
      targetId: student.id,
      details: {
        datasetId: dataset.id,
        version: student.version,
        jobId: job.id,
        evaluationDatasetId: dto.evaluationDatasetId ?? null,
      },
    });
    return { id: student.id, version: student.version, status: 'training' };
  }

  async get(id: string, caller: Principal): Promise<StudentDto> {
    const { student, dataset } = await this.visibleStudent(id, caller);
    const discard = student.acceptedAt ? await this.discardStatus(dataset) : null;
    return mapStudent(student, this.cardFor(student, caller), discard);
  }

  async list(datasetId: string, caller: Principal): Promise<StudentDto[]> {
    const dataset = await this.visibleDataset(datasetId, caller);
    const students = await this.students.listForDataset(dataset.id);
    const discard = students.some((s) => s.acceptedAt) ? await this.discardStatus(dataset) : null;
    return students.map((s) => mapStudent(s, this.cardFor(s, caller), s.acceptedAt ? discard : null));
  }

  /** A file of the student's export. Anyone but an operator gets the card with the publishable ε only. */
  async file(
    id: string,
    file: StudentFile,
    caller: Principal,
  ): Promise<{ body: Readable | Buffer; contentType: string; contentHash: string }> {
    const { student } = await this.visibleStudent(id, caller);
    if (!EXPORTED.has(student.status) || !student.artifactPath || !student.contentHash) {
      throw new DomainError('STUDENT_NOT_READY', `The student is ${student.status}: it has no export yet`);
    }
    const contentType = STUDENT_FILES[file];
    if (file === 'model-card.json' && caller.role !== 'admin') {
      const card = this.cardFor(student, caller);
      return { body: Buffer.from(`${JSON.stringify(card, null, 2)}\n`), contentType, contentHash: student.contentHash };
    }
    return { body: this.artifacts.open(student.artifactPath, file), contentType, contentHash: student.contentHash };
  }

  /**
   * Deploys a trained student for its dataset (the version accepted before it is superseded) and has the guardian
   * discard the dataset's teachers: one pending discard per data owner, carried out by the guardian's worker.
   * Accepting the deployed student again retries a discard that failed.
   */
  async accept(id: string, caller: Principal): Promise<AcceptedStudentDto> {
    const accepted = await this.students.accept(id, caller.keyId);
    const student = accepted.student;
    const dataset = await this.consortia.findDataset(student.consortiumDatasetId);
    if (!dataset) throw new DomainError('NOT_FOUND', "The student's dataset is gone");
    if (!accepted.alreadyAccepted) {
      await this.audit.append({
        actor: caller,
        action: 'student.accepted',
        targetType: 'student-model',
        targetId: student.id,
        details: {
          datasetId: dataset.id,
          version: student.version,
          contentHash: student.contentHash,
          supersededId: accepted.supersededId,
        },
      });
    }
    const rows = await this.discards.request({
      consortiumDatasetId: dataset.id,
      studentModelId: student.id,
      requestedByKeyId: caller.keyId,
    });
    if (!dataset.teachersDiscardedAt || rows.some((row) => row.status === 'pending')) {
      await this.discardQueue.enqueue({
        datasetId: dataset.id,
        studentId: student.id,
        requestedByKeyId: caller.keyId,
        reason: `student ${student.id} v${student.version} accepted`,
      });
      await this.audit.append({
        actor: caller,
        action: 'teachers.discard-requested',
        targetType: 'consortium-dataset',
        targetId: dataset.id,
        details: {
          datasetId: dataset.id,
          studentId: student.id,
          version: student.version,
          teacherServices: rows.filter((row) => row.status === 'pending').map((row) => row.party),
        },
      });
    }
    return {
      id: student.id,
      version: student.version,
      status: student.status,
      supersededId: accepted.supersededId,
      discard: mapDiscardStatus(
        overallDiscardStatus(rows, dataset.teachersDiscardedAt),
        dataset.teachersDiscardedAt,
        rows,
      ),
    };
  }

  private async discardStatus(dataset: ConsortiumDatasetEntity): Promise<DiscardStatusDto> {
    const rows = await this.discards.listForDataset(dataset.id);
    const fresh = (await this.consortia.findDataset(dataset.id)) ?? dataset;
    return mapDiscardStatus(overallDiscardStatus(rows, fresh.teachersDiscardedAt), fresh.teachersDiscardedAt, rows);
  }

  /** Operators see the card as stored; everyone else the publishable ε only. */
  private cardFor(student: StudentModelEntity, caller: Principal): Record<string, unknown> | null {
    const card = student.modelCard as ({ privacy: ModelCardPrivacy } & Record<string, unknown>) | null;
    if (!card) return null;
    return caller.role === 'admin' ? card : publicModelCard(card);
  }

  private async checkEvaluationDataset(
    evaluationDatasetId: string,
    dataset: ConsortiumDatasetEntity,
    partyId: string | null,
  ): Promise<void> {
    const evaluation = await this.unlabeled.findById(evaluationDatasetId);
    if (!evaluation || evaluation.status !== 'ready' || (partyId !== null && evaluation.ownerPartyId !== partyId)) {
      throw new DomainError('NOT_FOUND', 'No such evaluation dataset of yours');
    }
    if (evaluation.purpose !== 'evaluation') {
      throw new DomainError(
        'WRONG_DATASET_PURPOSE',
        "This is a pool dataset: evaluate students on a dataset uploaded with purpose 'evaluation'",
      );
    }
    if (evaluation.consortiumDatasetId !== dataset.id) {
      throw new DomainError('VALIDATION_FAILED', "The evaluation dataset belongs to another dataset than the job's");
    }
  }

  private async visibleStudent(
    id: string,
    caller: Principal,
  ): Promise<{ student: StudentModelEntity; dataset: ConsortiumDatasetEntity }> {
    const student = await this.students.findById(id);
    if (!student) throw new DomainError('NOT_FOUND', 'No such student');
    const dataset = await this.visibleDataset(student.consortiumDatasetId, caller, 'No such student');
    return { student, dataset };
  }

  /** Operators see every dataset; a querying party those of its consortium. */
  async visibleDataset(
    datasetId: string,
    caller: Principal,
    notFound = 'No such dataset in your consortium',
  ): Promise<ConsortiumDatasetEntity> {
    const dataset = await this.consortia.findDataset(datasetId);
    if (!dataset) throw new DomainError('NOT_FOUND', notFound);
    if (caller.role === 'admin') return dataset;
    const party = await this.consortia.findParty(requireParty(caller));
    if (!party || party.consortiumId !== dataset.consortiumId) throw new DomainError('NOT_FOUND', notFound);
    return dataset;
  }
}

export function requireParty(caller: Principal): string {
  if (!caller.partyId) throw new DomainError('FORBIDDEN', 'This key acts for no consortium party');
  return caller.partyId;
}
