import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Logger } from 'pino';
import { CORRELATION_HEADER } from '@conclave/contracts';
import { acceptOrMintCorrelationId, currentCorrelationId } from '../logging/correlation.js';
import { mapError } from './error-response.js';

interface HttpResponse {
  headersSent: boolean;
  status(code: number): HttpResponse;
  setHeader(name: string, value: string): void;
  json(body: unknown): void;
}

/** The one exception filter of every app: domain codes to HTTP statuses, unknown errors opaque. */
@Catch()
export class DomainExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<HttpResponse>();
    const request = http.getRequest<{ headers: Record<string, unknown>; method?: string; url?: string }>();
    const correlationId = currentCorrelationId() ?? acceptOrMintCorrelationId(request.headers[CORRELATION_HEADER]);
    const mapped = mapError(error, correlationId);
    if (mapped.unexpected) {
      this.logger.error({ err: error, correlationId, method: request.method }, 'unhandled error');
    }
    if (response.headersSent) return;
    response.setHeader(CORRELATION_HEADER, correlationId);
    response.status(mapped.status).json(mapped.body);
  }
}
