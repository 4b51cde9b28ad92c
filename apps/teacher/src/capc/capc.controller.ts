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
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiFramed, framedFile, readFramedRequest, Roles } from '@conclave/common';
import { type CapcEvaluateResponse, type CapcTeacherRoundResponse } from '@conclave/contracts';
import { CAPC_MAX_FRAMED_EVALUATE_BYTES, CAPC_MAX_FRAMED_ROUND_BYTES, CapcService } from './capc.service.js';
import { CapcDealerDto, CapcEvaluateRequestDto, CapcTeacherRoundRequestDto } from './dto/capc.dto.js';

/** Confidential mode (capc): encrypted evaluation and the secure-argmax rounds, relayed by the guardian. */
@ApiTags('confidential mode (capc)')
@Controller('v1/capc')
export class CapcController {
  constructor(private readonly capc: CapcService) {}

  @Post('evaluate')
  @HttpCode(200)
  @Roles('guardian')
  @ApiOperation({ summary: "Every partition's head on a batch of encrypted queries → masked, re-randomised responses" })
  evaluate(@Body() body: CapcEvaluateRequestDto): Promise<CapcEvaluateResponse> {
    return this.capc.evaluate(body);
  }

  @Post('evaluate/framed')
  @HttpCode(200)
  @Roles('guardian')
  @ApiFramed()
  @ApiOperation({
    summary:
      'The same as evaluate, with a framed binary body (libs/contracts capc-frames: public key and queries as frames) and answer',
  })
  async evaluateFramed(@Req() request: Request): Promise<StreamableFile> {
    const body = await readFramedRequest(request, CAPC_MAX_FRAMED_EVALUATE_BYTES);
    return framedFile(await this.capc.evaluateFramed(body));
  }

  @Post('sessions/:sessionId/prepare')
  @HttpCode(202)
  @Roles('guardian')
  @ApiOperation({
    summary:
      "The session's dealer session exists: fetch this service's correlation halves and start its argmaxes now (answers at once; round 1 reports a failure)",
  })
  prepare(@Param('sessionId', new ParseUUIDPipe()) sessionId: string): { sessionId: string } {
    return this.capc.prepareSession(sessionId);
  }

  @Post('sessions/:sessionId/rounds/:round')
  @HttpCode(200)
  @Roles('guardian')
  @ApiOperation({ summary: "One secure-argmax round of a session: the querying party's messages → this service's" })
  round(
    @Param('sessionId', new ParseUUIDPipe()) sessionId: string,
    @Param('round', new ParseIntPipe()) round: number,
    @Body() body: CapcTeacherRoundRequestDto,
  ): Promise<CapcTeacherRoundResponse> {
    return this.capc.round(sessionId, round, body.message);
  }

  @Post('sessions/:sessionId/rounds/:round/framed')
  @HttpCode(200)
  @Roles('guardian')
  @ApiFramed()
  @ApiOperation({ summary: 'The same as a round, with framed binary bodies (libs/contracts capc-frames)' })
  async roundFramed(
    @Param('sessionId', new ParseUUIDPipe()) sessionId: string,
    @Param('round', new ParseIntPipe()) round: number,
    @Req() request: Request,
  ): Promise<StreamableFile> {
    const body = await readFramedRequest(request, CAPC_MAX_FRAMED_ROUND_BYTES);
    return framedFile(await this.capc.roundFramed(sessionId, round, body));
  }

  @Put('dealer')
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({ summary: "Points this service at the consortium's dealer, with the key the dealer issued to it" })
  dealer(@Body() body: CapcDealerDto): void {
    this.capc.setDealer(body.url, body.key);
  }
}
