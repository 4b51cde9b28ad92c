import { describe, expect, it } from '@jest/globals';
import { CapcQueryingParty, nextJobPollMs, type CapcOpenBatch } from './capc-client.js';

/**
 * labelBatches' scheduling against a querying party whose HTTP and HE are stubbed: every batch's rounds take
 * `roundsMs[i]`; the log records when batches are opened, finish their rounds and send their share sums.
 */
function stubbedParty(roundsMs: number[], failAt?: number) {
  const log: string[] = [];
  let open = 0;
  let maxOpen = 0;
  const party = Object.create(CapcQueryingParty.prototype) as CapcQueryingParty;
  Object.assign(party, {
    stats: { batches: 0, rounds: 0, bytesSent: 0, bytesReceived: 0, elapsedMs: 0 },
    encryptQueries: (features: Int32Array[]) => {
      log.push(`encrypt ${features[0]![0]}`);
      return Promise.resolve(features.map((x) => Uint8Array.of(x[0]!)));
    },
    openBatch: async (_jobId: string, first: number, features: Int32Array[], request: { queries?: Uint8Array[] }) => {
      expect(request.queries?.map((q) => q[0])).toEqual(features.map((x) => x[0]));
      const index = Math.round(first / features.length);
      log.push(`open ${first}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (index === failAt) throw new Error(`batch ${index} refused`);
      open++;
      maxOpen = Math.max(maxOpen, open);
      const batch = {
        queries: features.length,
        runRounds: async () => {
          await new Promise((resolve) => setTimeout(resolve, roundsMs[index]));
          log.push(`rounds done ${first}`);
        },
        shareSums: () => new Uint32Array(0),
        sendShareSums: async () => {
          log.push(`shares ${first}`);
          open--;
        },
      };
      return batch as unknown as CapcOpenBatch;
    },
  });
  return { party, log, maxOpen: () => maxOpen };
}

const features = (n: number) => Array.from({ length: n }, (_, i) => Int32Array.of(i));

describe('CapcQueryingParty.labelBatches (batches in flight)', () => {
  it('opens batches in order while the previous one runs its rounds, and sends share sums in batch order', async () => {
    // Batch 0's rounds are slow, batch 1's fast: batch 1 finishes first but its share sums wait for batch 0's.
    const { party, log, maxOpen } = stubbedParty([120, 10, 10]);
    const progress: number[] = [];
    await party.labelBatches('job', features(6), {
      batchSize: 2,
      inFlight: 2,
      onProgress: (done) => progress.push(done),
    });
    expect(log.filter((l) => l.startsWith('open'))).toEqual(['open 0', 'open 2', 'open 4']);
    expect(log.filter((l) => l.startsWith('shares'))).toEqual(['shares 0', 'shares 2', 'shares 4']);
    expect(log.indexOf('open 2')).toBeLessThan(log.indexOf('rounds done 0')); // overlapped
    expect(log.indexOf('rounds done 2')).toBeLessThan(log.indexOf('shares 0'));
    expect(log.indexOf('open 4')).toBeGreaterThan(log.indexOf('shares 0')); // never more than 2 in flight
    expect(maxOpen()).toBe(2);
    // The next batch is encrypted before the current one's answer is awaited.
    expect(log.indexOf('encrypt 2')).toBeLessThan(log.indexOf('rounds done 0'));
    expect(progress).toEqual([2, 4, 6]);
    expect(party.stats.batches).toBe(3);
  });

  it('runs one batch after the other with inFlight 1', async () => {
    const { party, log, maxOpen } = stubbedParty([20, 20]);
    await party.labelBatches('job', features(4), { batchSize: 2, inFlight: 1 });
    expect(log.indexOf('open 2')).toBeGreaterThan(log.indexOf('shares 0'));
    expect(maxOpen()).toBe(1);
  });

  it('stops at the first failure, after the batches in flight settle', async () => {
    const { party, log } = stubbedParty([50, 10, 10], 1);
    await expect(party.labelBatches('job', features(6), { batchSize: 2, inFlight: 2 })).rejects.toThrow(
      'batch 1 refused',
    );
    expect(log).toContain('shares 0'); // the batch in flight was finished
    expect(log).not.toContain('open 4');
  });

  it('polls a job soon after its last answer, then less and less often, never more than every 500 ms', () => {
    const waits: number[] = [];
    let wait = 0;
    for (let i = 0; i < 12; i++) waits.push((wait = nextJobPollMs(wait)));
    expect(waits.slice(0, 4)).toEqual([20, 30, 45, 68]);
    expect(waits.every((w, i) => i === 0 || w >= waits[i - 1]!)).toBe(true);
    expect(waits.at(-1)).toBe(500);
  });
});
