import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@conclave/common';
import { CreateJobDto, JobDto, LabelDto, LabelsQueryDto } from './dto/job.dto.js';
import { JobsService } from './jobs.service.js';

@ApiTags('labeling jobs')
@Controller('v1/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @Roles('querying-party')
  @ApiOperation({
    summary: 'Create a labeling job: a mechanism, its parameters, a budget and a maximum number of queries',
  })
  @ApiCreatedResponse({ type: JobDto })
  create(@Body() dto: CreateJobDto, @CurrentPrincipal() caller: Principal): Promise<JobDto> {
    return this.jobs.create(dto, caller);
  }

  @Get(':jobId')
  @Roles('querying-party', 'admin')
  @ApiOperation({ summary: "A job's status and progress" })
  @ApiOkResponse({ type: JobDto })
  get(@Param('jobId', new ParseUUIDPipe()) jobId: string, @CurrentPrincipal() caller: Principal): Promise<JobDto> {
    return this.jobs.get(jobId, caller);
  }

  @Post(':jobId/cancel')
  @HttpCode(200)
  @Roles('querying-party', 'admin')
  @ApiOperation({ summary: 'Cancel a job; queries already answered keep their labels' })
  @ApiOkResponse({ type: JobDto })
  cancel(@Param('jobId', new ParseUUIDPipe()) jobId: string, @CurrentPrincipal() caller: Principal): Promise<JobDto> {
    return this.jobs.cancel(jobId, caller);
  }

  @Get(':jobId/labels')
  @Roles('querying-party', 'admin')
  @ApiOperation({ summary: 'Released labels, in record order; refused queries are marked, never guessed' })
  @ApiOkResponse({ type: [LabelDto] })
  labels(
    @Param('jobId', new ParseUUIDPipe()) jobId: string,
    @Query() page: LabelsQueryDto,
    @CurrentPrincipal() caller: Principal,
  ): Promise<LabelDto[]> {
    return this.jobs.labels(jobId, page, caller);
  }
}
