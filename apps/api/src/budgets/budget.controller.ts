import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@conclave/common';
import { BudgetStatusDto, CreateBudgetDto } from './dto/budget.dto.js';
import { BudgetAdminService } from './budget-admin.service.js';

@ApiTags('budgets')
@Controller('v1')
export class BudgetController {
  constructor(private readonly budgets: BudgetAdminService) {}

  @Post('datasets/:datasetId/budgets')
  @ApiOperation({ summary: 'Open a privacy budget (ε, δ) on a consortium dataset (admin)' })
  @ApiCreatedResponse({ type: BudgetStatusDto })
  create(
    @Param('datasetId', new ParseUUIDPipe()) datasetId: string,
    @Body() dto: CreateBudgetDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<BudgetStatusDto> {
    return this.budgets.create(datasetId, dto, actor);
  }

  @Get('budgets/:budgetId')
  @Roles('admin', 'querying-party')
  @ApiOperation({ summary: 'Budget status: the publishable (data-independent) ε spent and what remains' })
  @ApiOkResponse({ type: BudgetStatusDto })
  status(
    @Param('budgetId', new ParseUUIDPipe()) budgetId: string,
    @CurrentPrincipal() caller: Principal,
  ): Promise<BudgetStatusDto> {
    return this.budgets.status(budgetId, caller);
  }
}
