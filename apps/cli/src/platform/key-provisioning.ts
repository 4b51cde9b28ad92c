import type { Role } from '@conclave/contracts';
import { ApiKeyRepository, openDatabase, type CreatedApiKey, type DatabaseOptions } from '@conclave/db';

/**
 * Issues an API key straight into a service's database (the bootstrap path: the first admin key of a
 * service cannot come through its API). An embedded teacher or dealer database must not be open in a
 * running service: the data-directory lock refuses, and the message says so.
 */
export async function provisionApiKey(
  database: DatabaseOptions,
  key: { role: Role; label: string; partyId?: string },
): Promise<CreatedApiKey> {
  const dataSource = await openDatabase(database);
  try {
    return await new ApiKeyRepository(dataSource).create(key);
  } finally {
    await dataSource.destroy();
  }
}
