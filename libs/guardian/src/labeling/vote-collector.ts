import type { Logger } from 'pino';
import { DomainError } from '@conclave/common';
import { PACKED_VOTE_REQUEST_TYPE, type VoteResponse } from '@conclave/contracts';
import type { TeacherEndpoint } from '@conclave/db';
import { TeacherClients, type TeacherCallOptions } from '../teachers/teacher-clients.js';
import type { VoteHistogram } from './job-mechanism.js';

/** Per-request timeout; retries with exponential backoff before a teacher service counts as down. */
export type VoteCollectorOptions = TeacherCallOptions;

/** A batch's vote request, packed once for every service (libs/contracts encodePackedVoteRequest). */
export interface PackedVoteBatch {
  queryIds: string[];
  body: Buffer;
}

export interface CollectedVotes {
  /** Per query id: the histogram over every teacher that actually voted. */
  histograms: Map<string, VoteHistogram>;
  /** Teacher services that answered, and those that did not (down, slow, or answering malformed votes). */
  answered: string[];
  missing: string[];
}

/**
 * Asks every teacher service of a dataset for its teachers' votes on a batch of queries, in parallel, and
 * sums them into one histogram per query. A service that stays down after its retries is left out: the
 * histograms (and so the accounting) use the voters that actually voted; the caller applies the quorum.
 */
export class VoteCollector {
  private readonly clients: TeacherClients;

  constructor(
    private readonly logger: Logger,
    options: VoteCollectorOptions = {},
  ) {
    this.clients = new TeacherClients(options);
  }

  /** `signal` gives up on the requests still running (their services then count as missing). */
  async collect(
    endpoints: TeacherEndpoint[],
    request: PackedVoteBatch,
    shape: { numClasses: number; multiLabel: boolean },
    options: { signal?: AbortSignal } = {},
  ): Promise<CollectedVotes> {
    const histograms = new Map<string, VoteHistogram>(
      request.queryIds.map((id) => [id, { counts: new Array<number>(shape.numClasses).fill(0), voters: 0 }]),
    );
    const answered: string[] = [];
    const missing: string[] = [];
    // Packed once for every service (raw float32 features: 256 MNIST queries are 0.8 MB); a Buffer is sent as it is.
    const headers = { 'content-type': PACKED_VOTE_REQUEST_TYPE };
    const responses = await Promise.allSettled(
      endpoints.map((endpoint) =>
        this.clients
          .for(endpoint)
          .post<VoteResponse>('/v1/votes/packed', request.body, { idempotent: true, signal: options.signal, headers }),
      ),
    );
    // Given up on by the caller (a job that stopped before using these votes): nothing to report.
    if (options.signal?.aborted) return { histograms, answered, missing: endpoints.map((e) => e.name) };
    responses.forEach((response, i) => {
      const endpoint = endpoints[i]!;
      if (response.status === 'rejected') {
        const code = response.reason instanceof DomainError ? response.reason.code : 'UNKNOWN';
        this.logger.warn({ teacherService: endpoint.name, code }, 'teacher service did not vote');
        missing.push(endpoint.name);
        return;
      }
      const problem = checkResponse(response.value, request, shape);
      if (problem) {
        this.logger.warn(
          { teacherService: endpoint.name, problem },
          'teacher service answered malformed votes; left out',
        );
        missing.push(endpoint.name);
        return;
      }
      for (const vote of response.value.votes) {
        const histogram = histograms.get(vote.queryId)!;
        if (shape.multiLabel) {
          for (const positives of vote.positives!) for (const label of positives) histogram.counts[label]! += 1;
          histogram.voters += vote.positives!.length;
        } else {
          for (const cls of vote.classes!) histogram.counts[cls]! += 1;
          histogram.voters += vote.classes!.length;
        }
      }
      answered.push(endpoint.name);
    });
    return { histograms, answered, missing };
  }
}

/** A response must cover exactly the asked queries, with one in-range vote per teacher. Returns the problem. */
function checkResponse(
  response: VoteResponse,
  request: PackedVoteBatch,
  shape: { numClasses: number; multiLabel: boolean },
): string | null {
  if (!response || !Array.isArray(response.votes) || !Number.isInteger(response.teachers) || response.teachers < 0) {
    return 'not a vote response';
  }
  const asked = new Set(request.queryIds);
  if (response.votes.length !== asked.size) return 'wrong number of queries';
  const inRange = (c: unknown) => Number.isInteger(c) && (c as number) >= 0 && (c as number) < shape.numClasses;
  for (const vote of response.votes) {
    if (!asked.delete(vote.queryId)) return 'unknown or repeated query id';
    const perTeacher = shape.multiLabel ? vote.positives : vote.classes;
    if (!Array.isArray(perTeacher) || perTeacher.length !== response.teachers) return 'wrong number of teacher votes';
    const ok = shape.multiLabel
      ? perTeacher.every((p) => Array.isArray(p) && p.every(inRange) && new Set(p).size === p.length)
      : perTeacher.every(inRange);
    if (!ok) return 'vote out of range';
  }
  return null;
}
