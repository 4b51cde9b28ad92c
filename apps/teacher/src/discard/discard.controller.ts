import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@conclave/common';
import { DatasetParams } from '../partitions/dto/partition.dto.js';
import { DiscardRecordDto, DiscardRequestDto } from './dto/discard.dto.js';
import { DiscardService } from './discard.service.js';

/** Discarding teachers, and the records of it. */
@ApiTags('discard')
@Controller('v1')
export class DiscardController {
  constructor(private readonly service: DiscardService) {}

  @Post('datasets/:dataset/discard')
  @Roles('guardian', 'admin')
  @ApiOperation({
    summary:
      "Delete the dataset's teacher models (and its records if asked); votes then answer 410 (guardian or owner)",
  })
  @ApiCreatedResponse({ type: DiscardRecordDto })
  discard(
    @Param() params: DatasetParams,
    @Body() dto: DiscardRequestDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<DiscardRecordDto> {
    return this.service.discard(params.dataset, dto, actor);
  }

  @Get('discards')
  @ApiOperation({ summary: 'Discard records: who discarded which models, when (owner)' })
  @ApiOkResponse({ type: [DiscardRecordDto] })
  list(): Promise<DiscardRecordDto[]> {
    return this.service.list();
  }
}
