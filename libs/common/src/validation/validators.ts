import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsNumber,
  IsOptional,
  IsUUID,
  Max,
  Min,
  registerDecorator,
  type ValidationOptions,
} from 'class-validator';

/** A postgres:// or postgresql:// URL with a host. */
export function IsPostgresUrl(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isPostgresUrl',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: `${String(propertyName)} must be a PostgreSQL URL such as postgres://user:password@host:5432/database`,
        ...options,
      },
      validator: {
        validate: (value: unknown) => isPostgresUrl(value),
      },
    });
}

export function isPostgresUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    const port = url.port === '' ? 5432 : Number(url.port);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '' && port > 0;
  } catch {
    return false;
  }
}

/** A UUID (any version) in a DTO. */
export function ValidateUuid(options?: ValidationOptions): PropertyDecorator {
  return applyDecorators(IsUUID('all', options));
}

/** A finite number in [0, 1] in a DTO (probabilities, δ). */
export function ValidateProbability(options?: ValidationOptions): PropertyDecorator {
  return applyDecorators(
    Type(() => Number),
    IsNumber({ allowNaN: false, allowInfinity: false }, options),
    Min(0, options),
    Max(1, options),
  );
}

/** A finite, strictly positive number in a DTO (σ, ε). */
export function ValidatePositiveNumber(options?: ValidationOptions): PropertyDecorator {
  return applyDecorators(
    Type(() => Number),
    IsNumber({ allowNaN: false, allowInfinity: false }, options),
    Min(Number.MIN_VALUE, options),
  );
}

/** An optional integer in [min, max] in a DTO (absent: the route's default). */
export function ValidateOptionalIntInRange(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return applyDecorators(
    IsOptional(options),
    Type(() => Number),
    IsInt(options),
    Min(min, options),
    Max(max, options),
  );
}
