import {
  Body,
  Controller,
  HttpCode,
  Param,
  ParseIntPipe,
  ParseUUIDPipe,
  Post,
  Put,
  Req,
  StreamableFile,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiFramed, CurrentPrincipal, framedFile, Roles, type Principal } from '@conclave/common';
import { type CapcBatchResponse, type CapcRoundResponse, type CapcShareSumResponse } from '@conclave/contracts';
import { CapcService } from './capc.service.js';
import { CapcBatchRequestDto, CapcRoundRequestDto, CapcShareSumRequestDto, RegisterDealerDto } from './dto/capc.dto.js';

/** Confidential (capc) jobs: the querying party's encrypted queries and argmax rounds, relayed by the coordinator. */
@ApiTags('confidential labeling (capc)')
@Controller('v1')
export class CapcController {
  constructor(private readonly capc: CapcService) {}

  @Post('jobs/:jobId/capc/batches')
  @HttpCode(200)
  @Roles('querying-party')
  @ApiOperation({ summary: "A batch of encrypted queries → every teacher service's masked encrypted logits" })
  @ApiOkResponse({ description: 'CapcBatchResponse (libs/contracts)' })
  batch(
    @Param('jobId', new ParseUUIDPipe()) jobId: string,
    @Body() body: CapcBatchRequestDto,
    @CurrentPrincipal() caller: Principal,
  ): Promise<CapcBatchResponse> {
    return this.capc.startBatch(caller, jobId, body);
  }

  @Post('jobs/:jobId/capc/batches/framed')
  @HttpCode(200)
  @Roles('querying-party')
  @ApiFramed()
  @ApiOperation({
    summary:
      'The same as a batch, with framed binary bodies (libs/contracts capc-frames): the queries and the responses as frames, not base64',
  })
  async framedBatch(
    @Param('jobId', new ParseUUIDPipe()) jobId: string,
    @Req() request: Request,
    @CurrentPrincipal() caller: Principal,
  ): Promise<StreamableFile> {
    return framedFile(await this.capc.startFramedBatch(caller, jobId, request));
  }

  @Post('jobs/:jobId/capc/batches/:batchId/rounds/:round')
  @HttpCode(200)
  @Roles('querying-party')
  @ApiOperation({ summary: "One secure-argmax round: the querying party's messages → the teachers' messages" })
  round(
    @Param('jobId', new ParseUUIDPipe()) jobId: string,
    @Param('batchId', new ParseUUIDPipe()) batchId: string,
    @Param('round', new ParseIntPipe()) round: number,
    @Body() body: CapcRoundRequestDto,
    @CurrentPrincipal() caller: Principal,
  ): Promise<CapcRoundResponse> {
    return this.capc.relayRound(caller, jobId, batchId, round, body);
  }

  @Post('jobs/:jobId/capc/batches/:batchId/rounds/:round/framed')
  @HttpCode(200)
  @Roles('querying-party')
  @ApiFramed()
  @ApiOperation({ summary: 'The same as a round, with framed binary bodies (libs/contracts capc-frames)' })
  async framedRound(
    @Param('jobId', new ParseUUIDPipe()) jobId: string,
    @Param('batchId', new ParseUUIDPipe()) batchId: string,
    @Param('round', new ParseIntPipe()) round: number,
    @Req() request: Request,
    @CurrentPrincipal() caller: Principal,
  ): Promise<StreamableFile> {
    return framedFile(await this.capc.relayFramedRound(caller, jobId, batchId, round, request));
  }

  @Post('jobs/:jobId/capc/batches/:batchId/shares')
  @HttpCode(202)
  @Roles('querying-party')
  @ApiOperation({ summary: "The querying party's one-hot share sums per query, for the guardian" })
  shares(
    @Param('jobId', new ParseUUIDPipe()) jobId: string,
    @Param('batchId', new ParseUUIDPipe()) batchId: string,
    @Body() body: CapcShareSumRequestDto,
    @CurrentPrincipal() caller: Principal,
  ): Promise<CapcShareSumResponse> {
    return this.capc.acceptShares(caller, jobId, batchId, body);
  }

  @Put('capc/dealer')
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({
    summary: "Registers a consortium's dealer (confidential mode) and the key it issued to the guardian",
  })
  async dealer(@Body() body: RegisterDealerDto, @CurrentPrincipal() caller: Principal): Promise<void> {
    await this.capc.registerDealer(caller, body);
  }
}
