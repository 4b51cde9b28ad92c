import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from '@conclave/common';
import { type DatabaseOptions } from '../data-source/data-source.factory.js';
import { CredentialsController } from './credentials/credentials.controller.js';
import { SERVICE_IDENTITY } from './credentials/service-identity.js';
import { DatabaseModule } from './database.module.js';
import { HealthModule } from './health.module.js';

/**
 * What every Conclave service is built on: its own database (migrated at boot), /health including the
 * database, the API-key guard on every other route, and the credentials routes (whoami, keys).
 */
@Module({})
export class ServiceFoundationModule {
  static forRoot(options: { service: string; database: DatabaseOptions }): DynamicModule {
    return {
      module: ServiceFoundationModule,
      global: true,
      imports: [DatabaseModule.forRoot(options.database), HealthModule],
      controllers: [CredentialsController],
      providers: [
        { provide: SERVICE_IDENTITY, useValue: options.service },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
      exports: [SERVICE_IDENTITY],
    };
  }
}
