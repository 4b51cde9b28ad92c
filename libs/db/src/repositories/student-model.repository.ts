import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { DomainError } from '@conclave/common';
import { ConsortiumDatasetEntity } from '../entities/coordinator/consortium-dataset.entity.js';
import {
  StudentModelEntity,
  type StudentProgressRecord,
  type StudentTrainingRequest,
} from '../entities/coordinator/student-model.entity.js';

export interface NewStudentModel {
  consortiumDatasetId: string;
  jobId: string;
  evaluationDatasetId: string | null;
  requestedByPartyId: string | null;
  requestedByKeyId: string | null;
  trainingRequest: StudentTrainingRequest;
}

export interface TrainedStudent {
  method: string;
  architecture: string;
  evaluationAccuracy: number | null;
  artifactPath: string;
  contentHash: string;
  modelCard: Record<string, unknown>;
}

export interface AcceptedStudent {
  student: StudentModelEntity;
  /** The version it replaced as the deployed one, if any. */
  supersededId: string | null;
  /** It was already the accepted version (a repeated accept). */
  alreadyAccepted: boolean;
}

/** The student registry: versions per consortium dataset, their training state, the deployed (accepted) one. */
@Injectable()
export class StudentModelRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** A new version in state 'training'; versions are numbered per dataset under the dataset's row lock. */
  async createTraining(input: NewStudentModel): Promise<StudentModelEntity> {
    return this.dataSource.transaction(async (manager) => {
      const dataset = await manager
        .getRepository(ConsortiumDatasetEntity)
        .findOne({ where: { id: input.consortiumDatasetId }, lock: { mode: 'pessimistic_write' } });
      if (!dataset) throw new DomainError('NOT_FOUND', 'No such consortium dataset');
      const [{ max }] = (await manager.query(
        `SELECT COALESCE(MAX("version"), 0)::int AS "max" FROM "student_model" WHERE "consortium_dataset_id" = $1`,
        [input.consortiumDatasetId],
      )) as Array<{ max: number }>;
      return manager.getRepository(StudentModelEntity).save({
        ...input,
        trainingRequest: input.trainingRequest as never,
        version: max + 1,
        status: 'training',
        attempts: 0,
      });
    });
  }

  async findById(id: string): Promise<StudentModelEntity | null> {
    return this.dataSource.getRepository(StudentModelEntity).findOneBy({ id });
  }

  /** Every version of a dataset, newest first. */
  async listForDataset(consortiumDatasetId: string): Promise<StudentModelEntity[]> {
    return this.dataSource
      .getRepository(StudentModelEntity)
      .find({ where: { consortiumDatasetId }, order: { version: 'DESC' } });
  }

  /** Every version of the datasets given (e.g. a consortium's), newest first. */
  async listForDatasets(consortiumDatasetIds: string[]): Promise<StudentModelEntity[]> {
    if (consortiumDatasetIds.length === 0) return [];
    return this.dataSource
      .getRepository(StudentModelEntity)
      .find({ where: { consortiumDatasetId: In(consortiumDatasetIds) }, order: { createdAt: 'DESC' } });
  }

  /** Every student still in training (e.g. to resume them after a restart). */
  async listTraining(): Promise<StudentModelEntity[]> {
    return this.dataSource.getRepository(StudentModelEntity).find({ where: { status: 'training' } });
  }

  /** The deployed version of a dataset. */
  async findAccepted(consortiumDatasetId: string): Promise<StudentModelEntity | null> {
    return this.dataSource.getRepository(StudentModelEntity).findOneBy({ consortiumDatasetId, status: 'accepted' });
  }

  /**
   * Counts a training attempt of a student still in training and returns the attempts so far (this one
   * included); null when it is no longer training (finished, failed, or never existed).
   */
  async startAttempt(id: string): Promise<number | null> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(StudentModelEntity)
      .set({ attempts: () => '"attempts" + 1', progress: null })
      .where('id = :id AND status = :status', { id, status: 'training' })
      .returning(['attempts'])
      .execute();
    const rows = result.raw as Array<{ attempts: number }>;
    return rows[0]?.attempts ?? null;
  }

  async updateProgress(id: string, progress: StudentProgressRecord): Promise<void> {
    await this.dataSource
      .getRepository(StudentModelEntity)
      .update({ id, status: 'training' }, { progress: progress as never });
  }

  /** training → trained; false when it was no longer training. */
  async markTrained(id: string, trained: TrainedStudent): Promise<boolean> {
    const result = await this.dataSource.getRepository(StudentModelEntity).update(
      { id, status: 'training' },
      {
        ...trained,
        modelCard: trained.modelCard as never,
        status: 'trained',
        errorCode: null,
        trainedAt: new Date(),
      },
    );
    return (result.affected ?? 0) > 0;
  }

  /** training → failed with a code; false when it was no longer training. */
  async markFailed(id: string, errorCode: string): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(StudentModelEntity)
      .update({ id, status: 'training' }, { status: 'failed', errorCode });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Makes a trained student the deployed version of its dataset, under the dataset's row lock: the version
   * accepted before it is superseded. Accepting the accepted version again changes nothing.
   */
  async accept(id: string, acceptedByKeyId: string | null): Promise<AcceptedStudent> {
    return this.dataSource.transaction(async (manager) => {
      const students = manager.getRepository(StudentModelEntity);
      const found = await students.findOneBy({ id });
      if (!found) throw new DomainError('NOT_FOUND', 'No such student');
      await manager
        .getRepository(ConsortiumDatasetEntity)
        .findOne({ where: { id: found.consortiumDatasetId }, lock: { mode: 'pessimistic_write' } });
      const student = (await students.findOneBy({ id }))!;
      if (student.status === 'accepted') return { student, supersededId: null, alreadyAccepted: true };
      if (student.status !== 'trained' && student.status !== 'superseded') {
        throw new DomainError(
          'STUDENT_NOT_READY',
          `The student is ${student.status}: only a trained one can be accepted`,
        );
      }
      const previous = await students.findOneBy({
        consortiumDatasetId: student.consortiumDatasetId,
        status: 'accepted',
      });
      const now = new Date();
      if (previous) await students.update({ id: previous.id }, { status: 'superseded', supersededAt: now });
      await students.update(
        { id: student.id },
        { status: 'accepted', acceptedAt: now, acceptedByKeyId, supersededAt: null },
      );
      return {
        student: (await students.findOneBy({ id: student.id }))!,
        supersededId: previous?.id ?? null,
        alreadyAccepted: false,
      };
    });
  }
}
