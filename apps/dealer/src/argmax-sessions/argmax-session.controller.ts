import { Readable } from 'node:stream';
import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Res, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, DomainError, Roles, type Principal } from '@conclave/common';
import type { PartyIndex } from '@conclave/crypto';
import { ArgmaxSessionService } from './argmax-session.service.js';
import { ArgmaxSessionDto, ArgmaxSessionStatusDto, CreateArgmaxSessionDto } from './dto/argmax-session.dto.js';

/** Correlated randomness for the secure argmax: sessions (guardian) and their halves (the two parties). */
@ApiTags('argmax-sessions')
@Controller('v1/argmax-sessions')
export class ArgmaxSessionController {
  constructor(private readonly service: ArgmaxSessionService) {}

  @Post()
  @Roles('guardian')
  @ApiOperation({
    summary:
      'Ask for `count` argmax correlations between two parties (guardian). 201 when created; the same id with the same body again → 200 with the same session, with another body → 409 SESSION_CONFLICT',
  })
  @ApiCreatedResponse({ type: ArgmaxSessionDto })
  @ApiOkResponse({ type: ArgmaxSessionDto, description: 'The session already existed with this very request' })
  async create(
    @Body() request: CreateArgmaxSessionDto,
    @CurrentPrincipal() caller: Principal,
    @Res() response: Response,
  ): Promise<void> {
    const { created, session } = await this.service.create(request, caller);
    response.status(created ? 201 : 200).json(session);
  }

  @Get(':id')
  @Roles('guardian', 'admin')
  @ApiOperation({ summary: 'A session and which halves were handed out (guardian, admin)' })
  @ApiOkResponse({ type: ArgmaxSessionStatusDto })
  status(@Param('id', new ParseUUIDPipe()) id: string): Promise<ArgmaxSessionStatusDto> {
    return this.service.status(id);
  }

  @Post(':id/halves/:party')
  @HttpCode(200)
  @Roles('querying-party', 'teacher')
  @ApiOperation({
    summary:
      "Take party 0's or party 1's half of every correlation, once (a key acting for that party). The body is libs/crypto's correlation batch (decodeCorrelationBatch); a second request → 409 CORRELATION_CONSUMED",
  })
  @ApiParam({ name: 'party', enum: ['0', '1'] })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' } })
  async half(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('party') party: string,
    @CurrentPrincipal() caller: Principal,
  ): Promise<StreamableFile> {
    const batch = await this.service.takeHalf(id, partyIndex(party), caller);
    const stream = Readable.from(batch.chunks, { objectMode: false });
    return new StreamableFile(stream, { type: 'application/octet-stream', length: batch.bytes }).setErrorHandler(
      (_error, res) => {
        // The failure is logged by the service; a started response is cut (Content-Length shows it incomplete).
        if (!res.destroyed) res.destroy?.();
      },
    );
  }
}

function partyIndex(value: string): PartyIndex {
  if (value === '0') return 0;
  if (value === '1') return 1;
  throw new DomainError('VALIDATION_FAILED', 'party must be 0 or 1', {
    fields: [{ field: 'party', problems: ['must be 0 or 1'] }],
  });
}
