import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@conclave/common';
import { PredictRequestDto, PredictResponseDto } from './dto/predict.dto.js';
import { PredictService } from './predict.service.js';

@ApiTags('inference')
@Controller('v1/datasets/:datasetId')
export class PredictController {
  constructor(private readonly service: PredictService) {}

  @Post('predict')
  @HttpCode(200)
  @Roles('querying-party', 'admin')
  @ApiOperation({
    summary:
      "Classify records with the dataset's deployed (accepted) student; at most PREDICT_MAX_RECORDS records per request",
  })
  @ApiOkResponse({ type: PredictResponseDto })
  predict(
    @Param('datasetId', new ParseUUIDPipe()) datasetId: string,
    @Body() dto: PredictRequestDto,
    @CurrentPrincipal() caller: Principal,
  ): Promise<PredictResponseDto> {
    return this.service.predict(datasetId, dto.records, caller);
  }
}
