import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { ROLES, type Role } from '@conclave/contracts';

export class CreateApiKeyDto {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES as unknown as string[])
  role: Role;

  @ApiProperty({ description: 'Who or what the key is for', example: 'guardian of consortium A' })
  @IsString()
  @Length(1, 200)
  label: string;

  @ApiPropertyOptional({ description: 'Consortium party the key acts for (coordinator services and the dealer)' })
  @IsOptional()
  @IsUUID('all')
  partyId?: string;
}

export class CreatedApiKeyDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'The key itself. Shown once: it is stored only as a hash.' }) key: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty() label: string;
  @ApiProperty({ nullable: true, type: String }) partyId: string | null;
}

export class ApiKeyDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty() label: string;
  @ApiProperty({ nullable: true, type: String }) partyId: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ nullable: true, type: Date }) revokedAt: Date | null;
}

export class WhoAmIDto {
  @ApiProperty() keyId: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({ nullable: true, type: String }) partyId: string | null;
  @ApiProperty() label: string;
  @ApiProperty() service: string;
}
