import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/** Thrown at boot when the environment does not validate; lists every bad variable. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: ReadonlyArray<{ variable: string; problem: string }>,
  ) {
    super(
      `Invalid configuration for ${service} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.variable}: ${p.problem}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the environment into `EnvClass` (fields decorated with `@Expose()` and
 * class-validator rules). This is the only place configuration is read from `process.env`.
 * Values are never echoed back: DATABASE_URL and keys may carry secrets.
 */
export function loadConfig<T extends object>(
  service: string,
  EnvClass: new () => T,
  env: NodeJS.ProcessEnv = process.env,
): T {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const config = plainToInstance(EnvClass, present, { excludeExtraneousValues: true, exposeDefaultValues: true });
  const errors = validateSync(config, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigError(service, flatten(errors));
  return config;
}

/** One entry per bad variable, its distinct problems joined. */
function flatten(errors: ValidationError[]): Array<{ variable: string; problem: string }> {
  return errors.map((e) => ({
    variable: e.property,
    problem: [...new Set(Object.values(e.constraints ?? {}).map(stripValue))].join('; '),
  }));
}

// class-validator messages start with the property name; keep the rule only.
function stripValue(message: string): string {
  return message.replace(/^\S+\s+/, '');
}
