import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DatasetParams } from '../partitions/dto/partition.dto.js';
import { StartTrainingDto, TrainingStatusDto } from './dto/training.dto.js';
import { TrainingService } from './training.service.js';

/** Teacher training (owner): one teacher per partition, in the background. */
@ApiTags('training')
@Controller('v1/datasets/:dataset')
export class TrainingController {
  constructor(private readonly service: TrainingService) {}

  @Post('train')
  @HttpCode(202)
  @ApiOperation({ summary: 'Train one teacher per partition of the dataset, in the background (owner)' })
  @ApiAcceptedResponse({ type: TrainingStatusDto })
  start(@Param() params: DatasetParams, @Body() dto: StartTrainingDto): Promise<TrainingStatusDto> {
    return this.service.start(params.dataset, dto);
  }

  @Get('training')
  @ApiOperation({ summary: 'Training progress per partition: status, epoch, loss and accuracy (owner)' })
  @ApiOkResponse({ type: TrainingStatusDto })
  status(@Param() params: DatasetParams): Promise<TrainingStatusDto> {
    return this.service.status(params.dataset);
  }
}
