/** The querying party's correlation halves (party 0) of one dealer session: libs/crypto's correlation batch bytes. */
export async function fetchQueryingHalves(
  dealer: { url: string; key: string },
  sessionId: string,
): Promise<Uint8Array> {
  const response = await fetch(`${dealer.url.replace(/\/+$/, '')}/v1/argmax-sessions/${sessionId}/halves/0`, {
    method: 'POST',
    headers: { authorization: `Bearer ${dealer.key}` },
    signal: AbortSignal.timeout(60_000),
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { code?: string } } | null;
    throw new CapcClientError(
      body?.error?.code ?? 'UPSTREAM_ERROR',
      `dealer answered ${response.status}`,
      response.status,
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** A refusal seen by the querying-party client: the service's error code and HTTP status. */
export class CapcClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`);
  }
}
