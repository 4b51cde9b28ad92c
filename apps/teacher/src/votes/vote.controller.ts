import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@conclave/common';
import { VoteRequestDto, VoteResponseDto } from './dto/vote.dto.js';
import { VoteService } from './vote.service.js';

/** The guardian's vote requests (pate mode). */
@ApiTags('votes')
@Controller('v1/votes')
export class VoteController {
  constructor(private readonly service: VoteService) {}

  @Post()
  @HttpCode(200)
  @Roles('guardian')
  @ApiOperation({ summary: "Every ready teacher's vote on each query of a batch (guardian only)" })
  @ApiOkResponse({ type: VoteResponseDto })
  vote(@Body() request: VoteRequestDto): Promise<VoteResponseDto> {
    return this.service.vote(request);
  }
}
