import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  argmaxCorrelationBytes,
  CORRELATION_BATCH_FRAME_HEADER_BYTES,
  dealArgmaxCorrelation,
  dealArgmaxCorrelationHalf,
  encodeCorrelationBatchFrame,
  encodeCorrelationBatchHeader,
  SeededRng,
  type ArgmaxCorrelation,
  type PartyIndex,
} from '@conclave/crypto';

/** Bytes of a session seed (drawn with node:crypto at creation). */
export const SESSION_SEED_BYTES = 32;
const DOMAIN = new TextEncoder().encode('conclave/dealer/argmax-session/v1:');
/** Small halves (party 0's are 64 bytes) are sent in chunks of about this size, not one write each. */
const CHUNK_BYTES = 64 * 1024;

export interface SessionShape {
  readonly modulus: number;
  readonly classes: number;
  readonly count: number;
}

/**
 * Both halves of correlation `index` (0-based) of a session, regenerated from its seed: dealArgmaxCorrelation
 * driven by SeededRng (AES-256-CTR) under domain ‖ seed ‖ index. The same seed and index always give the same
 * pair, so each party's half can be produced on its own request and both agree, without storing megabytes; a
 * CSPRNG-drawn seed makes every correlation as unpredictable as node:crypto's own output.
 */
export function sessionCorrelation(
  seed: Uint8Array,
  shape: Pick<SessionShape, 'modulus' | 'classes'>,
  index: number,
): [ArgmaxCorrelation, ArgmaxCorrelation] {
  return dealArgmaxCorrelation({ modulus: shape.modulus, classes: shape.classes, rng: correlationRng(seed, index) });
}

/**
 * One party's half of correlation `index`, the same as sessionCorrelation's: party 0's half (id and seed) is the
 * start of the same stream and costs no dealing; party 1's needs the whole dealing.
 */
export function sessionCorrelationHalf(
  seed: Uint8Array,
  shape: Pick<SessionShape, 'modulus' | 'classes'>,
  index: number,
  party: PartyIndex,
): ArgmaxCorrelation {
  const rng = correlationRng(seed, index);
  return dealArgmaxCorrelationHalf({ modulus: shape.modulus, classes: shape.classes, rng, party });
}

function correlationRng(seed: Uint8Array, index: number): SeededRng {
  if (seed.length !== SESSION_SEED_BYTES) throw new Error('a session seed has 32 bytes');
  if (!Number.isInteger(index) || index < 0 || index > 0xffff_ffff) throw new Error('bad correlation index');
  const input = new Uint8Array(DOMAIN.length + SESSION_SEED_BYTES + 4);
  input.set(DOMAIN, 0);
  input.set(seed, DOMAIN.length);
  new DataView(input.buffer).setUint32(DOMAIN.length + SESSION_SEED_BYTES, index, false);
  const rng = new SeededRng(input);
  input.fill(0);
  return rng;
}

/**
 * One party's batch of a session (libs/crypto's correlation batch format), produced lazily: correlation i is
 * dealt only when the reader wants more, small frames are gathered into chunks, and the event loop gets a turn
 * between chunks, so a large batch streams with backpressure in constant memory. The seed is copied now (the
 * caller may wipe its own at once) and the copy zeroed when the batch ends: completed, failed or abandoned by a
 * client that went away.
 */
export function correlationBatchChunks(
  seed: Uint8Array,
  shape: SessionShape,
  party: PartyIndex,
): AsyncGenerator<Uint8Array, void, undefined> {
  if (seed.length !== SESSION_SEED_BYTES) throw new Error('a session seed has 32 bytes');
  // Checked before the first byte: Content-Length is announced from this size.
  const frameBytes = CORRELATION_BATCH_FRAME_HEADER_BYTES + argmaxCorrelationBytes({ ...shape, party });
  return produceBatch(Uint8Array.from(seed), shape, party, frameBytes);
}

async function* produceBatch(
  seed: Uint8Array,
  shape: SessionShape,
  party: PartyIndex,
  frameBytes: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    let pending: Uint8Array[] = [encodeCorrelationBatchHeader(party, shape.count)];
    let pendingBytes = pending[0]!.length;
    for (let index = 0; index < shape.count; index++) {
      const frame = encodeCorrelationBatchFrame(sessionCorrelationHalf(seed, shape, index, party));
      // A frame of any other size than announced would corrupt the response: fail it instead.
      if (frame.length !== frameBytes) throw new Error('a correlation frame differs from its announced size');
      pending.push(frame);
      pendingBytes += frame.length;
      if (pendingBytes >= CHUNK_BYTES || index === shape.count - 1) {
        yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        await nextTurn();
      }
    }
  } finally {
    seed.fill(0);
  }
}
