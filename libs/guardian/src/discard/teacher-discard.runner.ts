import type { Logger } from 'pino';
import { DomainError, isDomainError } from '@conclave/common';
import type { ErrorCode } from '@conclave/contracts';
import {
  AuditRepository,
  ConsortiumRepository,
  TeacherDiscardRepository,
  type TeacherDiscardRow,
  type TeacherEndpoint,
} from '@conclave/db';
import { TeacherClients, type TeacherCallOptions } from '../teachers/teacher-clients.js';
import type { TeacherDiscardTask } from './teacher-discard.queue.js';

/** Per-request timeout and retries (exponential backoff) of one call to a teacher service, and: */
export interface TeacherDiscardRunnerOptions extends TeacherCallOptions {
  /** Runs of the task (pg-boss retries) after which a teacher service that still fails counts as failed. */
  maxAttempts?: number;
}

/** What a teacher service answers to a discard (apps/teacher DiscardRecordDto). */
interface TeacherDiscardResponse {
  id: string;
  modelsDeleted: number;
  deletedModelHashes: string[];
  createdAt: string;
  repeated?: boolean;
}

/** Refusals that a retry cannot turn around: the row fails at once (a new accept re-opens it). */
const FINAL_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'VALIDATION_FAILED',
  'MALFORMED_REQUEST',
  'ROUTE_NOT_FOUND',
]);

export interface TeacherDiscardResult {
  /** Teacher services that confirmed in this run. */
  confirmed: string[];
  /** Teacher services that failed in this run, and whether for good. */
  failed: Array<{ party: string; code: string; final: boolean }>;
  /** When the dataset was marked discarded in this run (every teacher service confirmed). */
  datasetDiscardedAt: Date | null;
}

/**
 * The guardian side of the teacher discard: calls the teacher service of every data owner of the dataset's
 * consortium still pending (`POST /v1/datasets/<name>/discard`, with the key the owner issued to the guardian),
 * records each confirmation in the teacher_discard row and as an audit event (who asked, which owner, how many
 * models and their hashes, when), and once every owner has confirmed marks the consortium dataset's teachers
 * discarded — from then on the api refuses new jobs and the labeling runner fails any job of it.
 *
 * Idempotent: confirmed rows are skipped; a teacher service that had already discarded answers with the record of
 * that first discard (`repeated`), which counts as its confirmation. A service that holds no partition of the
 * dataset has nothing to discard and counts as confirmed with no model deleted.
 */
export class TeacherDiscardRunner {
  private readonly clients: TeacherClients;

  constructor(
    private readonly consortia: ConsortiumRepository,
    private readonly discards: TeacherDiscardRepository,
    private readonly audit: AuditRepository,
    private readonly logger: Logger,
    private readonly options: TeacherDiscardRunnerOptions = {},
  ) {
    this.clients = new TeacherClients(options);
  }

  /**
   * One run of a task. Throws UPSTREAM_UNAVAILABLE when a teacher service failed but may still succeed later (the
   * queue retries the task); a service that failed for good is recorded as failed and the run completes.
   */
  async run(task: TeacherDiscardTask): Promise<TeacherDiscardResult> {
    const dataset = await this.consortia.findDataset(task.datasetId);
    if (!dataset) throw new DomainError('NOT_FOUND', 'No such consortium dataset');
    const endpoints = new Map(
      (await this.consortia.teacherEndpoints(dataset.consortiumId)).map((e) => [e.partyId, e] as const),
    );
    const pending = (await this.discards.listForDataset(dataset.id)).filter((row) => row.status === 'pending');
    const result: TeacherDiscardResult = { confirmed: [], failed: [], datasetDiscardedAt: null };
    const maxAttempts = this.options.maxAttempts ?? 10;

    await Promise.all(
      pending.map(async (row) => {
        try {
          const endpoint = endpoints.get(row.partyId);
          if (!endpoint) throw new DomainError('NOT_FOUND', 'the data owner no longer has a teacher service');
          const confirmation = await this.discardAt(endpoint, dataset.name, task.reason);
          if (await this.discards.markDone(row.id, confirmation)) {
            await this.audit.append({
              actor: task.requestedByKeyId ? { keyId: task.requestedByKeyId, role: 'admin' } : null,
              action: 'teacher.discarded',
              targetType: 'party',
              targetId: row.partyId,
              details: {
                datasetId: dataset.id,
                dataset: dataset.name,
                studentId: task.studentId,
                party: row.party,
                teacherService: endpoint.url,
                performedBy: 'guardian',
                modelsDeleted: confirmation.modelsDeleted,
                deletedModelHashes: confirmation.deletedModelHashes,
                teacherDiscardId: confirmation.teacherDiscardId,
                discardedAt: confirmation.discardedAt,
                repeated: confirmation.repeated,
              },
            });
          }
          result.confirmed.push(row.party);
        } catch (error) {
          await this.recordFailure(task, row, error, maxAttempts, result);
        }
      }),
    );

    result.datasetDiscardedAt = await this.discards.markDatasetDiscardedIfComplete(dataset.id);
    if (result.datasetDiscardedAt) {
      await this.audit.append({
        actor: task.requestedByKeyId ? { keyId: task.requestedByKeyId, role: 'admin' } : null,
        action: 'dataset.teachers-discarded',
        targetType: 'consortium-dataset',
        targetId: dataset.id,
        details: { datasetId: dataset.id, dataset: dataset.name, studentId: task.studentId, performedBy: 'guardian' },
      });
      this.logger.info({ datasetId: dataset.id }, 'every teacher service confirmed the discard');
    }
    const retryable = result.failed.filter((f) => !f.final);
    if (retryable.length > 0) {
      throw new DomainError(
        'UPSTREAM_UNAVAILABLE',
        `The discard is not yet confirmed by ${retryable.map((f) => f.party).join(', ')}: retrying later`,
      );
    }
    return result;
  }

  private async discardAt(
    endpoint: TeacherEndpoint,
    datasetName: string,
    reason: string,
  ): Promise<{
    modelsDeleted: number;
    deletedModelHashes: string[];
    teacherDiscardId: string | null;
    discardedAt: string | null;
    repeated: boolean;
  }> {
    try {
      const record = await this.clients.for(endpoint).post<TeacherDiscardResponse>(
        `/v1/datasets/${encodeURIComponent(datasetName)}/discard`,
        { reason },
        // Safe to repeat: the teacher service answers a repeated discard with the record of the first one.
        { idempotent: true },
      );
      return {
        modelsDeleted: record.modelsDeleted,
        deletedModelHashes: record.deletedModelHashes,
        teacherDiscardId: record.id,
        discardedAt: record.createdAt,
        repeated: record.repeated === true,
      };
    } catch (error) {
      // The service holds no partition of the dataset: it has no teacher of it to discard.
      if (isDomainError(error) && error.code === 'NOT_FOUND') {
        return { modelsDeleted: 0, deletedModelHashes: [], teacherDiscardId: null, discardedAt: null, repeated: false };
      }
      throw error;
    }
  }

  private async recordFailure(
    task: TeacherDiscardTask,
    row: TeacherDiscardRow,
    error: unknown,
    maxAttempts: number,
    result: TeacherDiscardResult,
  ): Promise<void> {
    const code = isDomainError(error) ? error.code : 'INTERNAL';
    const final = FINAL_CODES.has(code) || row.attempts + 1 >= maxAttempts;
    await this.discards.recordFailure(row.id, code, final);
    result.failed.push({ party: row.party, code, final });
    this.logger.warn(
      { datasetId: row.consortiumDatasetId, party: row.party, code, attempt: row.attempts + 1, final },
      final ? 'teacher service did not discard: giving up' : 'teacher service did not discard: will retry',
    );
    if (final) {
      await this.audit.append({
        actor: task.requestedByKeyId ? { keyId: task.requestedByKeyId, role: 'admin' } : null,
        action: 'teacher.discard-failed',
        targetType: 'party',
        targetId: row.partyId,
        details: {
          datasetId: row.consortiumDatasetId,
          studentId: task.studentId,
          party: row.party,
          errorCode: code,
          attempts: row.attempts + 1,
        },
      });
    }
  }
}
