import { Controller, Get, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { CurrentPrincipal, DomainError, Roles, type Principal } from '@conclave/common';
import { UnlabeledDatasetDto, UploadUnlabeledQueryDto } from './dto/unlabeled.dto.js';
import { UnlabeledService } from './unlabeled.service.js';

@ApiTags('unlabeled data')
@Controller('v1/unlabeled-datasets')
export class UnlabeledController {
  constructor(private readonly service: UnlabeledService) {}

  @Post()
  @Roles('querying-party')
  @ApiOperation({
    summary: 'Upload unlabeled records (streamed body: CSV, JSONL or IDX); all or nothing',
    description: 'Send the file as the raw request body (not JSON), e.g. Content-Type: text/csv.',
  })
  @ApiConsumes('text/csv', 'application/x-ndjson', 'application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiCreatedResponse({ type: UnlabeledDatasetDto })
  upload(
    @Query() query: UploadUnlabeledQueryDto,
    @Req() request: Request,
    @CurrentPrincipal() caller: Principal,
  ): Promise<UnlabeledDatasetDto> {
    if ((request.headers['content-type'] ?? '').startsWith('application/json')) {
      throw new DomainError(
        'UNSUPPORTED_MEDIA_TYPE',
        'Send the file itself as the body (text/csv, application/x-ndjson or application/octet-stream)',
      );
    }
    return this.service.upload(query, request, caller);
  }

  @Get()
  @Roles('querying-party')
  @ApiOperation({ summary: 'Your unlabeled datasets' })
  @ApiOkResponse({ type: [UnlabeledDatasetDto] })
  list(@CurrentPrincipal() caller: Principal): Promise<UnlabeledDatasetDto[]> {
    return this.service.list(caller);
  }
}
