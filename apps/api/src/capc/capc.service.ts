import { Injectable } from '@nestjs/common';
import { DomainError, type Principal } from '@conclave/common';
import type {
  CapcBatchRequest,
  CapcBatchResponse,
  CapcRoundRequest,
  CapcRoundResponse,
  CapcShareSumRequest,
  CapcShareSumResponse,
} from '@conclave/contracts';
import { AuditRepository, CapcRepository, ConsortiumRepository } from '@conclave/db';
import { CapcRelay } from '@conclave/guardian';
import { requireParty } from '../unlabeled/unlabeled.service.js';
import { LabelingQueue } from '@conclave/guardian';

/** The api's side of confidential jobs: authenticates the querying party and hands its messages to the relay. */
@Injectable()
export class CapcService {
  constructor(
    private readonly relay: CapcRelay,
    private readonly capc: CapcRepository,
    private readonly consortia: ConsortiumRepository,
    private readonly audit: AuditRepository,
    private readonly queue: LabelingQueue,
  ) {}

  async startBatch(caller: Principal, jobId: string, request: CapcBatchRequest): Promise<CapcBatchResponse> {
    const response = await this.relay.startBatch(requireParty(caller), jobId, request);
    // A job paused for lack of batches is queued again (at most one pg-boss job per labeling job).
    await this.queue.enqueue(jobId);
    return response;
  }

  relayRound(
    caller: Principal,
    jobId: string,
    batchId: string,
    round: number,
    request: CapcRoundRequest,
  ): Promise<CapcRoundResponse> {
    return this.relay.relayRound(requireParty(caller), jobId, batchId, round, request);
  }

  acceptShares(
    caller: Principal,
    jobId: string,
    batchId: string,
    request: CapcShareSumRequest,
  ): Promise<CapcShareSumResponse> {
    return this.relay.acceptShares(requireParty(caller), jobId, batchId, request);
  }

  async registerDealer(
    caller: Principal,
    input: { consortiumId: string; url: string; guardianApiKey: string },
  ): Promise<void> {
    if (!(await this.consortia.findConsortium(input.consortiumId))) {
      throw new DomainError('NOT_FOUND', 'No such consortium');
    }
    await this.capc.setDealer(input.consortiumId, input.url.replace(/\/+$/, ''), input.guardianApiKey);
    await this.audit.append({
      actor: caller,
      action: 'capc.dealer-registered',
      targetType: 'consortium',
      targetId: input.consortiumId,
      details: { url: input.url },
    });
  }
}
