import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsUUID,
  Max,
  Min,
  registerDecorator,
  type ValidationOptions,
} from 'class-validator';
import { ValidateUuid } from '@conclave/common';
import { isCryptoError, MAX_ARGMAX_CLASSES, PrimeField } from '@conclave/crypto';
import type { ArgmaxSessionRecord } from '@conclave/db';
import { MAX_ARGMAX_SESSION_COUNT } from '../../dealer.env.js';

const MAX_MODULUS = 0xffff_ffff;

/** UUIDs compare in lowercase (as PostgreSQL prints them), so that a case variant is the same id. */
const lowercase = (value: unknown): unknown =>
  typeof value === 'string' ? value.toLowerCase() : Array.isArray(value) ? value.map(lowercase) : value;

/** An odd prime below 2^32 (the BFV plain modulus), checked by libs/crypto's own PrimeField. */
function IsShareModulus(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isShareModulus',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `${String(propertyName)} must be an odd prime below 2^32`, ...options },
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'number' || !Number.isInteger(value)) return false;
          try {
            new PrimeField(value);
            return true;
          } catch (error) {
            if (isCryptoError(error)) return false;
            throw error;
          }
        },
      },
    });
}

export class CreateArgmaxSessionDto {
  @ApiProperty({ format: 'uuid', description: 'Chosen by the guardian; repeating a request with it is idempotent' })
  @Transform(({ value }) => lowercase(value))
  @ValidateUuid()
  id: string;

  @ApiProperty({
    description: 'The share ring Z_p: the BFV plain modulus, an odd prime below 2^32',
    example: 1073692673,
  })
  @IsInt()
  @Min(3)
  @Max(MAX_MODULUS)
  @IsShareModulus()
  modulus: number;

  @ApiProperty({ minimum: 2, maximum: MAX_ARGMAX_CLASSES, example: 10 })
  @IsInt()
  @Min(2)
  @Max(MAX_ARGMAX_CLASSES)
  classes: number;

  @ApiProperty({
    minimum: 1,
    maximum: MAX_ARGMAX_SESSION_COUNT,
    description: 'Correlations (argmax instances) in the session; at most DEALER_MAX_SESSION_COUNT',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_ARGMAX_SESSION_COUNT)
  count: number;

  @ApiProperty({
    type: [String],
    minItems: 2,
    maxItems: 2,
    description: 'Consortium party ids: [party 0 (the querying party), party 1 (the teacher service)]',
  })
  @Transform(({ value }) => lowercase(value))
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(2)
  @ArrayUnique({ message: 'parties must be two different party ids' })
  @IsUUID('all', { each: true })
  parties: [string, string];
}

export class ArgmaxSessionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() count: number;
  @ApiProperty() classes: number;
  @ApiProperty() modulus: number;
  @ApiProperty({ type: [String] }) parties: [string, string];
  @ApiProperty() createdAt: Date;
}

export class ArgmaxSessionStatusDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() count: number;
  @ApiProperty() classes: number;
  @ApiProperty({ type: [String] }) parties: [string, string];
  @ApiProperty({ type: [Boolean], description: 'Whether half 0 and half 1 were handed out' })
  consumed: [boolean, boolean];
  @ApiProperty() createdAt: Date;
}

export function mapArgmaxSession(session: ArgmaxSessionRecord): ArgmaxSessionDto {
  return {
    id: session.id,
    count: session.count,
    classes: session.classes,
    modulus: session.modulus,
    parties: [session.parties[0], session.parties[1]],
    createdAt: session.createdAt,
  };
}

export function mapArgmaxSessionStatus(session: ArgmaxSessionRecord): ArgmaxSessionStatusDto {
  return {
    id: session.id,
    count: session.count,
    classes: session.classes,
    parties: [session.parties[0], session.parties[1]],
    consumed: [session.consumed[0], session.consumed[1]],
    createdAt: session.createdAt,
  };
}
