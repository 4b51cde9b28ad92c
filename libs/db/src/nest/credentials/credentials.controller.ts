import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, DomainError, Roles, type Principal } from '@conclave/common';
import { ROLES } from '@conclave/contracts';
import { ApiKeyRepository } from '../../repositories/api-key.repository.js';
import { SERVICE_IDENTITY } from './service-identity.js';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto, WhoAmIDto } from './api-key.dto.js';

/** Credentials of this service: who am I, and (admin) issue, list and revoke API keys. */
@ApiTags('credentials')
@Controller('v1')
export class CredentialsController {
  constructor(
    private readonly keys: ApiKeyRepository,
    @Inject(SERVICE_IDENTITY) private readonly service: string,
  ) {}

  @Get('whoami')
  @Roles(...ROLES)
  @ApiOperation({ summary: 'The identity behind the presented API key' })
  @ApiOkResponse({ type: WhoAmIDto })
  whoAmI(@CurrentPrincipal() principal: Principal): WhoAmIDto {
    return { ...principal, service: this.service };
  }

  @Post('keys')
  @ApiOperation({ summary: 'Issue an API key (admin). The key is in the response only.' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  create(@Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.keys.create(dto);
  }

  @Get('keys')
  @ApiOperation({ summary: 'List API keys (admin); secrets are never returned' })
  @ApiOkResponse({ type: [ApiKeyDto] })
  list(): Promise<ApiKeyDto[]> {
    return this.keys.list();
  }

  @Delete('keys/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key (admin)' })
  async revoke(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    if (id === principal.keyId) throw new DomainError('CONFLICT', 'A key cannot revoke itself');
    if (!(await this.keys.revoke(id))) throw new DomainError('NOT_FOUND', 'No active API key with this id');
  }
}
