import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditEventDto, AuditQueryDto } from './dto/audit.dto.js';
import { AuditService } from './audit.service.js';

@ApiTags('audit')
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly service: AuditService) {}

  @Get()
  @ApiOperation({
    summary: 'The audit log, newest first: who did what, when (admin) — e.g. ?datasetId=… for its teacher discards',
  })
  @ApiOkResponse({ type: [AuditEventDto] })
  list(@Query() query: AuditQueryDto): Promise<AuditEventDto[]> {
    return this.service.list(query);
  }
}
