import { Body, Controller, Get, Param, Post, Query, Req, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import {
  CreatePartitionDto,
  DatasetParams,
  PartitionDto,
  PartitionParams,
  UploadRecordsQuery,
  UploadResultDto,
} from './dto/partition.dto.js';
import { PartitionService } from './partition.service.js';
import { DrainRequestInterceptor } from '@conclave/ingest';

/** The owner's partitions (admin key only): no route ever returns a record. */
@ApiTags('partitions')
@Controller('v1/datasets/:dataset/partitions')
export class PartitionController {
  constructor(private readonly service: PartitionService) {}

  @Post()
  @ApiOperation({ summary: 'Declare a partition of private records (owner)' })
  @ApiCreatedResponse({ type: PartitionDto })
  create(@Param() params: DatasetParams, @Body() dto: CreatePartitionDto): Promise<PartitionDto> {
    return this.service.create(params.dataset, dto);
  }

  @Get()
  @ApiOperation({ summary: "List the dataset's partitions with their record counts and status (owner)" })
  @ApiOkResponse({ type: [PartitionDto] })
  list(@Param() params: DatasetParams): Promise<PartitionDto[]> {
    return this.service.list(params.dataset);
  }

  @Post(':partition/records')
  @UseInterceptors(DrainRequestInterceptor)
  @ApiOperation({
    summary: 'Load private records into a partition, all or nothing (owner)',
    description:
      'The body is streamed and validated against the partition schema; a bad row gives 400 naming the row and ' +
      'field, an upload over MAX_UPLOAD_BYTES gives 413, and in both cases no record of the upload remains. ' +
      'text/csv: a header row naming the features and the label. application/x-ndjson: one JSON object per line. ' +
      'multipart/form-data with ?format=idx: file parts `labels` (idx1) then `images` (idx3). ' +
      'multipart/form-data with ?format=png: a field `labels` (JSON array) then one file part `image` per PNG.',
  })
  @ApiConsumes('text/csv', 'application/x-ndjson', 'multipart/form-data')
  @ApiBody({ required: true, schema: { type: 'string', format: 'binary' } })
  @ApiCreatedResponse({ type: UploadResultDto })
  upload(
    @Param() params: PartitionParams,
    @Query() query: UploadRecordsQuery,
    @Req() request: Request,
  ): Promise<UploadResultDto> {
    return this.service.upload(params.dataset, params.partition, request, query.format);
  }
}
