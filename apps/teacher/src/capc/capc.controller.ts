import { Body, Controller, HttpCode, Param, ParseIntPipe, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@conclave/common';
import type { CapcEvaluateResponse, CapcTeacherRoundResponse } from '@conclave/contracts';
import { CapcService } from './capc.service.js';
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

  @Put('dealer')
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({ summary: "Points this service at the consortium's dealer, with the key the dealer issued to it" })
  dealer(@Body() body: CapcDealerDto): void {
    this.capc.setDealer(body.url, body.key);
  }
}
