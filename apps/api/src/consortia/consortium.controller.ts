import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@conclave/common';
import { ConsortiumService } from './consortium.service.js';
import {
  ConsortiumDto,
  CreateConsortiumDto,
  CreateDatasetDto,
  CreatePartyDto,
  DatasetDto,
  PartyDto,
} from './dto/consortium.dto.js';

@ApiTags('consortia')
@Controller('v1/consortia')
export class ConsortiumController {
  constructor(private readonly service: ConsortiumService) {}

  @Post()
  @ApiOperation({ summary: 'Create a consortium (admin)' })
  @ApiCreatedResponse({ type: ConsortiumDto })
  create(@Body() dto: CreateConsortiumDto, @CurrentPrincipal() actor: Principal): Promise<ConsortiumDto> {
    return this.service.create(dto.name, actor);
  }

  @Get()
  @ApiOperation({ summary: 'List consortia (admin)' })
  @ApiOkResponse({ type: [ConsortiumDto] })
  list(): Promise<ConsortiumDto[]> {
    return this.service.list();
  }

  @Post(':consortiumId/parties')
  @ApiOperation({ summary: 'Add a party: a data owner (with its teacher service), a querying party or an operator' })
  @ApiCreatedResponse({ type: PartyDto })
  addParty(
    @Param('consortiumId', new ParseUUIDPipe()) consortiumId: string,
    @Body() dto: CreatePartyDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<PartyDto> {
    return this.service.addParty(consortiumId, dto, actor);
  }

  @Get(':consortiumId/parties')
  @Roles('admin', 'querying-party')
  @ApiOperation({ summary: "List a consortium's parties" })
  @ApiOkResponse({ type: [PartyDto] })
  listParties(@Param('consortiumId', new ParseUUIDPipe()) consortiumId: string): Promise<PartyDto[]> {
    return this.service.listParties(consortiumId);
  }

  @Post(':consortiumId/datasets')
  @ApiOperation({ summary: 'Declare a dataset the data owners hold privately (admin)' })
  @ApiCreatedResponse({ type: DatasetDto })
  addDataset(
    @Param('consortiumId', new ParseUUIDPipe()) consortiumId: string,
    @Body() dto: CreateDatasetDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<DatasetDto> {
    return this.service.addDataset(consortiumId, dto, actor);
  }

  @Get(':consortiumId/datasets')
  @Roles('admin', 'querying-party')
  @ApiOperation({ summary: "List a consortium's datasets" })
  @ApiOkResponse({ type: [DatasetDto] })
  listDatasets(@Param('consortiumId', new ParseUUIDPipe()) consortiumId: string): Promise<DatasetDto[]> {
    return this.service.listDatasets(consortiumId);
  }
}
