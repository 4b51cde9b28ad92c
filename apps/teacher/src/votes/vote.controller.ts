import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { DomainError, Roles } from '@conclave/common';
import { PACKED_VOTE_REQUEST_TYPE } from '@conclave/contracts';
import { limitBytes } from '@conclave/ml';
import { TeacherEnv } from '../teacher.env.js';
import { VoteRequestDto, VoteResponseDto } from './dto/vote.dto.js';
import { VoteService } from './vote.service.js';

/** The guardian's vote requests (pate mode). */
@ApiTags('votes')
@Controller('v1/votes')
export class VoteController {
  constructor(
    private readonly service: VoteService,
    private readonly config: TeacherEnv,
  ) {}

  @Post()
  @HttpCode(200)
  @Roles('guardian')
  @ApiOperation({ summary: "Every ready teacher's vote on each query of a batch (guardian only)" })
  @ApiOkResponse({ type: VoteResponseDto })
  vote(@Body() request: VoteRequestDto): Promise<VoteResponseDto> {
    return this.service.vote(request);
  }

  @Post('packed')
  @HttpCode(200)
  @Roles('guardian')
  @ApiOperation({
    summary: 'The same, with the features packed as raw float32 (what the guardian sends; guardian only)',
    description:
      "Body: the magic `CVQ1`, the header's length (uint32 LE), the header as UTF-8 JSON " +
      '`{ dataset, queryIds, valuesPerQuery }`, then queryIds.length × valuesPerQuery little-endian float32 values. ' +
      'Over MAX_BODY_BYTES: 413.',
  })
  @ApiConsumes(PACKED_VOTE_REQUEST_TYPE)
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiOkResponse({ type: VoteResponseDto })
  async votePacked(@Req() request: Request): Promise<VoteResponseDto> {
    if (!request.is(PACKED_VOTE_REQUEST_TYPE)) {
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `A packed vote request is sent as ${PACKED_VOTE_REQUEST_TYPE}`);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of limitBytes(request, this.config.MAX_BODY_BYTES)) chunks.push(chunk);
    return this.service.votePacked(Buffer.concat(chunks));
  }
}
