import { Controller, Get, Post, Query, Req, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { CurrentPrincipal, Roles, type Principal } from '@conclave/common';
import { DrainRequestInterceptor } from '@conclave/ingest';
import { UnlabeledDatasetDto, UploadUnlabeledQueryDto } from './dto/unlabeled.dto.js';
import { UnlabeledService } from './unlabeled.service.js';

@ApiTags('unlabeled data')
@Controller('v1/unlabeled-datasets')
export class UnlabeledController {
  constructor(private readonly service: UnlabeledService) {}

  @Post()
  @Roles('querying-party')
  @UseInterceptors(DrainRequestInterceptor)
  @ApiOperation({
    summary: 'Upload unlabeled records (streamed: CSV, JSONL, IDX or PNG); all or nothing',
    description:
      'CSV / JSONL / IDX as the raw request body (text/csv, application/x-ndjson, application/octet-stream); PNG images as multipart/form-data file parts named `image`.',
  })
  @ApiConsumes('text/csv', 'application/x-ndjson', 'application/octet-stream', 'multipart/form-data')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiCreatedResponse({ type: UnlabeledDatasetDto })
  upload(
    @Query() query: UploadUnlabeledQueryDto,
    @Req() request: Request,
    @CurrentPrincipal() caller: Principal,
  ): Promise<UnlabeledDatasetDto> {
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
