import { Injectable } from '@nestjs/common';
import { DomainError, type Principal } from '@conclave/common';
import { AuditRepository, ConsortiumRepository } from '@conclave/db';
import { PrivacyBudgetService } from '@conclave/guardian';
import { mapBudgetStatus, type BudgetStatusDto, type CreateBudgetDto } from './dto/budget.dto.js';

/** Opening budgets on consortium datasets, and showing their status to the right people. */
@Injectable()
export class BudgetAdminService {
  constructor(
    private readonly budgets: PrivacyBudgetService,
    private readonly consortia: ConsortiumRepository,
    private readonly audit: AuditRepository,
  ) {}

  async create(datasetId: string, dto: CreateBudgetDto, actor: Principal): Promise<BudgetStatusDto> {
    if (!(await this.consortia.findDataset(datasetId)))
      throw new DomainError('NOT_FOUND', 'No such consortium dataset');
    const budget = await this.budgets.create({
      consortiumDatasetId: datasetId,
      name: dto.name,
      epsilonLimit: dto.epsilon,
      delta: dto.delta,
      conversion: dto.conversion,
    });
    await this.audit.append({
      actor,
      action: 'budget.created',
      targetType: 'privacy-budget',
      targetId: budget.id,
      details: { epsilon: dto.epsilon, delta: dto.delta, conversion: budget.conversion },
    });
    return mapBudgetStatus(await this.budgets.status(budget.id), true);
  }

  async status(budgetId: string, caller: Principal): Promise<BudgetStatusDto> {
    return mapBudgetStatus(await this.budgets.status(budgetId), caller.role === 'admin');
  }
}
