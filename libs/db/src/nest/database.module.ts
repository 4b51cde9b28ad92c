import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { API_KEY_STORE } from '@conclave/common';
import { openDatabase, type DatabaseOptions } from '../data-source/data-source.factory.js';
import { ApiKeyRepository } from '../repositories/api-key.repository.js';
import { AuditRepository } from '../repositories/audit.repository.js';
import { PrivacyBudgetRepository } from '../repositories/privacy-budget.repository.js';
import { ConsortiumRepository } from '../repositories/consortium.repository.js';

/**
 * The service's database for NestJS: opens (and migrates) it at boot, closes it at shutdown,
 * and provides the repositories. Import it once, in the app module.
 */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseOptions): DynamicModule {
    const coordinatorOnly =
      options.schema === 'coordinator' ? [AuditRepository, PrivacyBudgetRepository, ConsortiumRepository] : [];
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ type: 'postgres' }),
          dataSourceFactory: () => openDatabase(options),
        }),
      ],
      providers: [ApiKeyRepository, { provide: API_KEY_STORE, useExisting: ApiKeyRepository }, ...coordinatorOnly],
      exports: [ApiKeyRepository, API_KEY_STORE, ...coordinatorOnly],
    };
  }
}
