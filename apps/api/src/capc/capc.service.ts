import { Injectable } from '@nestjs/common';
import { DomainError, readFramedRequest, type Principal } from '@conclave/common';
import type { Request } from 'express';
import {
  type CapcBatchRequest,
  type CapcBatchResponse,
  type CapcFramed,
  type CapcRoundRequest,
  type CapcRoundResponse,
  type CapcShareSumRequest,
  type CapcShareSumResponse,
} from '@conclave/contracts';
import { AuditRepository, CapcRepository, ConsortiumRepository } from '@conclave/db';
import { CapcRelay, LabelingQueue } from '@conclave/guardian';
import { requireParty } from '../unlabeled/unlabeled.service.js';

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

  startBatch(caller: Principal, jobId: string, request: CapcBatchRequest): Promise<CapcBatchResponse> {
    // A job paused for lack of batches is queued again by the relay; its share sums will queue a run.
    return this.relay.startBatch(requireParty(caller), jobId, request);
  }

  /** A framed batch (libs/contracts capc-frames): the body is read here, within the relay's size limit. */
  async startFramedBatch(caller: Principal, jobId: string, request: Request): Promise<CapcFramed> {
    const party = requireParty(caller);
    const body = await readFramedRequest(request, this.relay.maxFramedBatchBytes);
    return this.relay.startFramedBatch(party, jobId, body);
  }

  async relayFramedRound(
    caller: Principal,
    jobId: string,
    batchId: string,
    round: number,
    request: Request,
  ): Promise<CapcFramed> {
    const party = requireParty(caller);
    const body = await readFramedRequest(request, 64 * 1024 + this.relay.maxRoundBytes);
    return this.relay.relayFramedRound(party, jobId, batchId, round, body);
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

  async acceptShares(
    caller: Principal,
    jobId: string,
    batchId: string,
    request: CapcShareSumRequest,
  ): Promise<CapcShareSumResponse> {
    const response = await this.relay.acceptShares(requireParty(caller), jobId, batchId, request);
    // The batch is now the guardian's to decide: queue a run (the guardian never waits on a worker for it).
    await this.queue.enqueue(jobId);
    return response;
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
