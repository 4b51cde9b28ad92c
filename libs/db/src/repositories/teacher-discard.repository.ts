import { Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { ConsortiumDatasetEntity } from '../entities/coordinator/consortium-dataset.entity.js';
import { TeacherDiscardEntity, type TeacherDiscardStatus } from '../entities/coordinator/teacher-discard.entity.js';

export interface TeacherDiscardRow {
  id: string;
  consortiumDatasetId: string;
  partyId: string;
  /** The data owner's party name. */
  party: string;
  studentModelId: string | null;
  requestedByKeyId: string | null;
  status: TeacherDiscardStatus;
  attempts: number;
  errorCode: string | null;
  modelsDeleted: number | null;
  deletedModelHashes: string[] | null;
  teacherDiscardId: string | null;
  requestedAt: Date;
  completedAt: Date | null;
}

export interface DiscardConfirmation {
  modelsDeleted: number;
  deletedModelHashes: string[];
  teacherDiscardId: string | null;
}

/** The guardian's discard instructions per data owner, and the consortium dataset's "teachers discarded" mark. */
@Injectable()
export class TeacherDiscardRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Records that the teachers of a dataset are to be discarded: one pending row per data owner of its consortium
   * that runs a teacher service. Rows already done stay done; failed ones are re-opened (a new attempt series).
   * Returns every row of the dataset.
   */
  async request(input: {
    consortiumDatasetId: string;
    studentModelId: string | null;
    requestedByKeyId: string | null;
  }): Promise<TeacherDiscardRow[]> {
    await this.dataSource.query(
      `INSERT INTO "teacher_discard" ("consortium_dataset_id", "party_id", "student_model_id", "requested_by_key_id")
       SELECT d."id", p."id", $2, $3
         FROM "consortium_dataset" d
         JOIN "party" p ON p."consortium_id" = d."consortium_id"
        WHERE d."id" = $1 AND p."kind" = 'data-owner' AND p."teacher_service_url" IS NOT NULL
       ON CONFLICT ("consortium_dataset_id", "party_id") DO UPDATE
          SET "status" = 'pending', "attempts" = 0, "error_code" = NULL, "updated_at" = now(),
              "student_model_id" = EXCLUDED."student_model_id", "requested_by_key_id" = EXCLUDED."requested_by_key_id"
        WHERE "teacher_discard"."status" = 'failed'`,
      [input.consortiumDatasetId, input.studentModelId, input.requestedByKeyId],
    );
    return this.listForDataset(input.consortiumDatasetId);
  }

  /** The discard rows of a dataset, by data owner name. */
  async listForDataset(consortiumDatasetId: string): Promise<TeacherDiscardRow[]> {
    const rows = await this.dataSource
      .getRepository(TeacherDiscardEntity)
      .createQueryBuilder('d')
      .innerJoin('d.party', 'p')
      .addSelect('p.name', 'party_name')
      .where('d.consortiumDatasetId = :consortiumDatasetId', { consortiumDatasetId })
      .orderBy('p.name', 'ASC')
      .getRawAndEntities();
    return rows.entities.map((entity, i) => ({
      id: entity.id,
      consortiumDatasetId: entity.consortiumDatasetId,
      partyId: entity.partyId,
      party: (rows.raw[i] as { party_name: string }).party_name,
      studentModelId: entity.studentModelId,
      requestedByKeyId: entity.requestedByKeyId,
      status: entity.status,
      attempts: entity.attempts,
      errorCode: entity.errorCode,
      modelsDeleted: entity.modelsDeleted,
      deletedModelHashes: entity.deletedModelHashes,
      teacherDiscardId: entity.teacherDiscardId,
      requestedAt: entity.requestedAt,
      completedAt: entity.completedAt,
    }));
  }

  /** pending → done with what the teacher service confirmed; false when the row was not pending. */
  async markDone(id: string, confirmation: DiscardConfirmation): Promise<boolean> {
    const result = await this.dataSource.getRepository(TeacherDiscardEntity).update(
      { id, status: 'pending' },
      {
        status: 'done',
        errorCode: null,
        modelsDeleted: confirmation.modelsDeleted,
        deletedModelHashes: confirmation.deletedModelHashes as never,
        teacherDiscardId: confirmation.teacherDiscardId,
        completedAt: new Date(),
      },
    );
    return (result.affected ?? 0) > 0;
  }

  /**
   * Counts a failed attempt of a pending row; with `final`, the row becomes failed. Returns the attempts so far.
   */
  async recordFailure(id: string, errorCode: string, final: boolean): Promise<number> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(TeacherDiscardEntity)
      .set({ attempts: () => '"attempts" + 1', errorCode, ...(final ? { status: 'failed' as const } : {}) })
      .where('id = :id AND status = :status', { id, status: 'pending' })
      .returning(['attempts'])
      .execute();
    return (result.raw as Array<{ attempts: number }>)[0]?.attempts ?? 0;
  }

  /**
   * When every teacher service of the dataset has confirmed, marks the consortium dataset's teachers discarded
   * (no job may query them afterwards). Returns the time it was marked now, or null (not all confirmed, or
   * already marked).
   */
  async markDatasetDiscardedIfComplete(consortiumDatasetId: string): Promise<Date | null> {
    return this.dataSource.transaction(async (manager) => {
      const dataset = await manager
        .getRepository(ConsortiumDatasetEntity)
        .findOne({ where: { id: consortiumDatasetId }, lock: { mode: 'pessimistic_write' } });
      if (!dataset || dataset.teachersDiscardedAt) return null;
      const rows = await manager.getRepository(TeacherDiscardEntity).findBy({ consortiumDatasetId });
      // No teacher service at all: nothing left that could answer a query.
      if (rows.some((r) => r.status !== 'done')) return null;
      const now = new Date();
      const updated = await manager
        .getRepository(ConsortiumDatasetEntity)
        .update({ id: consortiumDatasetId, teachersDiscardedAt: IsNull() }, { teachersDiscardedAt: now });
      return (updated.affected ?? 0) > 0 ? now : null;
    });
  }
}

/**
 * The discard of a dataset as a whole: failed when one teacher service gave up; done once every one confirmed AND
 * the guardian marked the dataset discarded (it does so right after the last confirmation, in its own transaction,
 * so a reader between the two still sees pending); else pending.
 */
export function overallDiscardStatus(
  rows: ReadonlyArray<{ status: TeacherDiscardStatus }>,
  teachersDiscardedAt: Date | null,
): TeacherDiscardStatus {
  if (rows.some((r) => r.status === 'pending')) return 'pending';
  if (rows.some((r) => r.status === 'failed')) return 'failed';
  return teachersDiscardedAt ? 'done' : 'pending';
}
