import { ValidationPipe, type INestApplication, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { ValidationError } from 'class-validator';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { CORRELATION_HEADER } from '@conclave/contracts';
import type { BaseEnv } from '../config/base.env.js';
import { ConfigError } from '../config/env.loader.js';
import { DomainError } from '../errors/domain.error.js';
import { DomainExceptionFilter } from '../errors/domain-exception.filter.js';
import { mapError } from '../errors/error-response.js';
import { acceptOrMintCorrelationId, runWithCorrelationId } from '../logging/correlation.js';
import { createLogger, PinoNestLogger } from '../logging/logger.js';

export interface ServiceDefinition {
  service: string;
  title: string;
  description: string;
  config: BaseEnv;
  module: Type<unknown> | DynamicModule;
}

/**
 * Creates a Conclave service: structured logs with correlation ids, size-limited JSON bodies,
 * strict validation, the domain exception filter, OpenAPI at /docs. Does not listen.
 */
export async function createService(definition: ServiceDefinition): Promise<{ app: INestApplication; logger: Logger }> {
  const { config } = definition;
  const logger = createLogger(definition.service, config.LOG_LEVEL);
  const app = await NestFactory.create(definition.module, { bodyParser: false, logger: new PinoNestLogger(logger) });

  app.use((req: Request, res: Response, next: NextFunction) => {
    const correlationId = acceptOrMintCorrelationId(req.headers[CORRELATION_HEADER]);
    res.setHeader(CORRELATION_HEADER, correlationId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // Method, path and status only: bodies and query strings may carry private values.
      runWithCorrelationId(correlationId, () =>
        logger.info(
          {
            method: req.method,
            path: req.path,
            status: res.statusCode,
            ms: Number(process.hrtime.bigint() - started) / 1e6,
          },
          'request',
        ),
      );
    });
    runWithCorrelationId(correlationId, next);
  });
  app.use(express.json({ limit: config.MAX_BODY_BYTES }));
  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const mapped = mapError(error, acceptOrMintCorrelationId(res.getHeader(CORRELATION_HEADER)));
    if (mapped.unexpected) logger.error({ err: error, path: req.path }, 'unhandled error before routing');
    res.status(mapped.status).json(mapped.body);
  });

  app.useGlobalPipes(
    new ValidationPipe({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      exceptionFactory: (errors) => validationError(errors),
    }),
  );
  app.useGlobalFilters(new DomainExceptionFilter(logger));
  app.enableShutdownHooks();

  const openApi = new DocumentBuilder()
    .setTitle(definition.title)
    .setDescription(definition.description)
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Conclave API key (ck_…)' })
    .addSecurityRequirements('bearer')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi), {
    jsonDocumentUrl: 'docs/openapi.json',
  });
  return { app, logger };
}

/** Creates the service, listens on HOST:PORT and logs where. */
export async function startService(definition: ServiceDefinition): Promise<INestApplication> {
  const { app, logger } = await createService(definition);
  await app.listen(definition.config.PORT, definition.config.HOST);
  const address = app.getHttpServer().address() as { port: number } | null;
  // Always printed, whatever LOG_LEVEL: launchers learn the (possibly ephemeral) URL from this line.
  logger
    .child({}, { level: 'info' })
    .info({ url: `http://${definition.config.HOST}:${address?.port ?? definition.config.PORT}` }, 'listening');
  return app;
}

/** Entry point wrapper: a bad configuration prints every problem and exits 1 before anything starts. */
export function runMain(main: () => Promise<unknown>): void {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      process.stderr.write(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exit(1);
  });
}

function validationError(errors: ValidationError[]): DomainError {
  const fields = flattenValidation(errors);
  return new DomainError(
    'VALIDATION_FAILED',
    `Invalid request: ${fields.map((f) => `${f.field}: ${f.problems.join(', ')}`).join('; ')}`,
    { fields },
  );
}

function flattenValidation(errors: ValidationError[], prefix = ''): Array<{ field: string; problems: string[] }> {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, problems: Object.values(e.constraints) }] : [];
    return [...own, ...flattenValidation(e.children ?? [], field)];
  });
}
