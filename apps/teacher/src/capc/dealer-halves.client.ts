import { currentCorrelationId, DomainError } from '@conclave/common';
import { CORRELATION_HEADER, type ErrorCode } from '@conclave/contracts';

/**
 * This party's correlation halves of one dealer session (octet-stream, libs/crypto's correlation batch). Each half is
 * delivered once: a second fetch is refused by the dealer (409).
 */
export async function fetchCorrelationHalves(
  dealer: { url: string; key: string },
  sessionId: string,
  party: 0 | 1,
): Promise<Uint8Array> {
  const correlationId = currentCorrelationId();
  let response: Response;
  try {
    response = await fetch(`${dealer.url}/v1/argmax-sessions/${sessionId}/halves/${party}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${dealer.key}`,
        ...(correlationId ? { [CORRELATION_HEADER]: correlationId } : {}),
      },
      signal: AbortSignal.timeout(60_000),
    });
  } catch {
    throw new DomainError('UPSTREAM_UNAVAILABLE', 'The dealer is unavailable');
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { code?: string } } | null;
    const code = response.status < 500 && body?.error?.code ? (body.error.code as ErrorCode) : 'UPSTREAM_ERROR';
    throw new DomainError(code, `The dealer refused the correlation halves (${response.status})`);
  }
  return new Uint8Array(await response.arrayBuffer());
}
