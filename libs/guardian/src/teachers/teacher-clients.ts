import { ServiceClient } from '@conclave/common';
import type { TeacherEndpoint } from '@conclave/db';

/** How the guardian calls a teacher service: per-request timeout, then retries with exponential backoff. */
export interface TeacherCallOptions {
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
}

/** One HTTP client per teacher service (keyed by its data owner), authenticated with the guardian key it issued. */
export class TeacherClients {
  private readonly clients = new Map<string, ServiceClient>();

  constructor(private readonly options: TeacherCallOptions = {}) {}

  for(endpoint: TeacherEndpoint): ServiceClient {
    let client = this.clients.get(endpoint.partyId);
    if (!client) {
      client = new ServiceClient({
        service: endpoint.name,
        baseUrl: endpoint.url,
        apiKey: endpoint.guardianApiKey ?? undefined,
        timeoutMs: this.options.timeoutMs ?? 60_000,
        retries: this.options.retries ?? 3,
        backoffMs: this.options.backoffMs ?? 500,
      });
      this.clients.set(endpoint.partyId, client);
    }
    return client;
  }
}
