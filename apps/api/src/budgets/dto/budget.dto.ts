import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsNumber, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import type { BudgetStatus } from '@conclave/guardian';

export class CreateBudgetDto {
  @ApiProperty({ example: 'mnist labeling 2026' })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ description: 'ε limit of the budget', example: 2 })
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(100)
  epsilon: number;

  @ApiProperty({ description: 'δ of the (ε, δ) guarantee', example: 1e-5 })
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1e-15)
  @Max(0.1)
  delta: number;

  @ApiPropertyOptional({
    enum: ['improved', 'basic'],
    default: 'improved',
    description: "RDP→(ε, δ) conversion: 'improved' (current accounting libraries) or 'basic' (the papers' tables)",
  })
  @IsOptional()
  @IsIn(['improved', 'basic'])
  conversion?: 'improved' | 'basic';
}

export class BudgetStatusDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() epsilonLimit: number;
  @ApiProperty() delta: number;
  @ApiProperty({ enum: ['improved', 'basic'] }) conversion: string;
  @ApiProperty({ description: 'ε spent at the data-independent bound of every release, rounded up: publishable' })
  epsilonDataIndependent: number;
  @ApiProperty({ nullable: true, type: Number }) optimalOrderDataIndependent: number | null;
  @ApiPropertyOptional({
    description:
      'Admin only. ε as charged (data-dependent where the analysis allows). A function of private votes: NOT safe to publish.',
  })
  epsilonCharged?: number;
  @ApiPropertyOptional({ description: 'Admin only: why epsilonCharged must not be published' })
  epsilonChargedWarning?: string;
  @ApiProperty() epsilonRemaining: number;
  @ApiProperty() ledgerEntries: number;
}

export function mapBudgetStatus(status: BudgetStatus, forAdmin: boolean): BudgetStatusDto {
  const { epsilonCharged, ...publishable } = status;
  return forAdmin
    ? {
        ...publishable,
        epsilonCharged,
        epsilonChargedWarning:
          'data-dependent: a function of private vote histograms; publish only through a smooth-sensitivity release',
      }
    : publishable;
}
