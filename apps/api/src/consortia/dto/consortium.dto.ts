import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { PARTY_KINDS, type PartyKind } from '@conclave/contracts';
import type { ConsortiumDatasetEntity, ConsortiumEntity, PartyEntity } from '@conclave/db';

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,199}$/;
const NAME_MESSAGE = 'must be 1-200 letters, digits, spaces, dots, dashes or underscores';

export class CreateConsortiumDto {
  @ApiProperty({ example: 'Northern hospitals' })
  @IsString()
  @Matches(NAME, { message: `name ${NAME_MESSAGE}` })
  name: string;
}

export class ConsortiumDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() createdAt: Date;
}

export function mapConsortium(entity: ConsortiumEntity): ConsortiumDto {
  return { id: entity.id, name: entity.name, createdAt: entity.createdAt };
}

export class CreatePartyDto {
  @ApiProperty({ example: 'St. Mary' })
  @IsString()
  @Matches(NAME, { message: `name ${NAME_MESSAGE}` })
  name: string;

  @ApiProperty({ enum: PARTY_KINDS })
  @IsIn(PARTY_KINDS as unknown as string[])
  kind: PartyKind;

  @ApiPropertyOptional({ description: "Base URL of the data owner's teacher service (data owners only)" })
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  teacherServiceUrl?: string;

  @ApiPropertyOptional({
    description:
      "The API key (role guardian) the data owner issued to this consortium's guardian on its teacher service. Write-only.",
  })
  @IsOptional()
  @IsString()
  @Matches(/^ck_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/, { message: 'guardianApiKey must be a Conclave API key (ck_…)' })
  guardianApiKey?: string;
}

export class PartyDto {
  @ApiProperty() id: string;
  @ApiProperty() consortiumId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: PARTY_KINDS }) kind: PartyKind;
  @ApiProperty({ nullable: true, type: String }) teacherServiceUrl: string | null;
  @ApiProperty() createdAt: Date;
}

export function mapParty(entity: PartyEntity): PartyDto {
  return {
    id: entity.id,
    consortiumId: entity.consortiumId,
    name: entity.name,
    kind: entity.kind,
    teacherServiceUrl: entity.teacherServiceUrl,
    createdAt: entity.createdAt,
  };
}

export class CreateDatasetDto {
  @ApiProperty({ example: 'mnist' })
  @IsString()
  @Matches(NAME, { message: `name ${NAME_MESSAGE}` })
  name: string;

  @ApiProperty({ minimum: 2, maximum: 10000 })
  @Type(() => Number)
  @IsInt()
  @Min(2)
  @Max(10000)
  numClasses: number;

  @ApiPropertyOptional({ enum: ['single-label', 'multi-label'], default: 'single-label' })
  @IsOptional()
  @IsIn(['single-label', 'multi-label'])
  labelKind?: 'single-label' | 'multi-label';

  @ApiProperty({
    description: 'Declared record schema shared by owners and querying parties',
    example: { kind: 'image', width: 28, height: 28, channels: 1 },
  })
  @IsObject()
  recordSchema: Record<string, unknown>;
}

export class DatasetDto {
  @ApiProperty() id: string;
  @ApiProperty() consortiumId: string;
  @ApiProperty() name: string;
  @ApiProperty() numClasses: number;
  @ApiProperty() labelKind: string;
  @ApiProperty() recordSchema: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: Date }) teachersDiscardedAt: Date | null;
  @ApiProperty() createdAt: Date;
}

export function mapDataset(entity: ConsortiumDatasetEntity): DatasetDto {
  return {
    id: entity.id,
    consortiumId: entity.consortiumId,
    name: entity.name,
    numClasses: entity.numClasses,
    labelKind: entity.labelKind,
    recordSchema: entity.recordSchema,
    teachersDiscardedAt: entity.teachersDiscardedAt,
    createdAt: entity.createdAt,
  };
}
