import { createHash } from 'node:crypto';
import { DomainError } from '@conclave/common';
import type { CapcHeadKind, CapcHeadModel, LinearHead, SquareMlpHead } from './capc-head.types.js';

/** What identifies a head's layout besides its parameters (stored as columns next to the parameter bytes). */
export interface CapcHeadDescriptor {
  kind: CapcHeadKind;
  extractorId: string;
  classes: number;
  dimension: number;
  /** Square MLP heads only. */
  hiddenUnits?: number;
}

export interface EncodedCapcHead {
  descriptor: CapcHeadDescriptor;
  /** float32 little-endian: linear W then b; square MLP W1, b1, W2, b2 (each W row-major, out x in). */
  parameters: Buffer;
  /** Hex SHA-256 of the canonical descriptor and the parameter bytes. */
  contentHash: string;
}

const FORMAT = 'conclave/capc-head/v1';

function descriptorOf(head: CapcHeadModel): CapcHeadDescriptor {
  return head.kind === 'linear'
    ? { kind: 'linear', extractorId: head.extractorId, classes: head.classes, dimension: head.dimension }
    : {
        kind: 'square-mlp',
        extractorId: head.extractorId,
        classes: head.classes,
        dimension: head.dimension,
        hiddenUnits: head.hidden.rows,
      };
}

/** Float counts of each parameter array, in storage order. */
function layout(descriptor: CapcHeadDescriptor): number[] {
  const { classes: k, dimension: d } = descriptor;
  if (descriptor.kind === 'linear') return [k * d, k];
  const h = descriptor.hiddenUnits ?? 0;
  return [h * d, h, k * h, k];
}

function hashOf(descriptor: CapcHeadDescriptor, parameters: Uint8Array): string {
  const header = JSON.stringify([
    FORMAT,
    descriptor.kind,
    descriptor.extractorId,
    descriptor.classes,
    descriptor.dimension,
    descriptor.hiddenUnits ?? 0,
  ]);
  return createHash('sha256').update(header).update('\n').update(parameters).digest('hex');
}

function arraysOf(head: CapcHeadModel): Float32Array[] {
  return head.kind === 'linear'
    ? [head.weights, head.bias]
    : [head.hidden.weights, head.hidden.bias, head.output.weights, head.output.bias];
}

/** The head's canonical bytes and content hash (what the teacher stores, and what a verifier recomputes). */
export function encodeCapcHead(head: CapcHeadModel): EncodedCapcHead {
  const descriptor = descriptorOf(head);
  const arrays = arraysOf(head);
  const sizes = layout(descriptor);
  if (arrays.some((a, i) => a.length !== sizes[i])) {
    throw new DomainError('VALIDATION_FAILED', 'CaPC head: parameter arrays do not match the declared shape');
  }
  const total = sizes.reduce((a, b) => a + b, 0);
  const parameters = Buffer.alloc(4 * total);
  let offset = 0;
  for (const array of arrays) {
    for (let i = 0; i < array.length; i++) offset = parameters.writeFloatLE(array[i], offset);
  }
  return { descriptor, parameters, contentHash: hashOf(descriptor, parameters) };
}

export function capcHeadContentHash(head: CapcHeadModel): string {
  return encodeCapcHead(head).contentHash;
}

/** Rebuilds a head from its stored form; refuses it (INTERNAL) when the bytes do not match `contentHash`. */
export function decodeCapcHead(stored: {
  descriptor: CapcHeadDescriptor;
  parameters: Uint8Array;
  contentHash: string;
}): CapcHeadModel {
  const { descriptor, parameters } = stored;
  const sizes = layout(descriptor);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (parameters.length !== 4 * total || hashOf(descriptor, parameters) !== stored.contentHash) {
    throw new DomainError('INTERNAL', 'CaPC head: stored parameters do not match their content hash');
  }
  const view = new DataView(parameters.buffer, parameters.byteOffset, parameters.byteLength);
  let offset = 0;
  const arrays = sizes.map((size) => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++, offset += 4) out[i] = view.getFloat32(offset, true);
    return out;
  });
  const { kind, extractorId, classes, dimension } = descriptor;
  if (kind === 'linear') {
    const head: LinearHead = { kind, extractorId, classes, dimension, weights: arrays[0], bias: arrays[1] };
    return head;
  }
  const hiddenUnits = descriptor.hiddenUnits ?? 0;
  const head: SquareMlpHead = {
    kind,
    extractorId,
    classes,
    dimension,
    inputs: dimension,
    hidden: { rows: hiddenUnits, cols: dimension, weights: arrays[0], bias: arrays[1] },
    output: { rows: classes, cols: hiddenUnits, weights: arrays[2], bias: arrays[3] },
  };
  return head;
}
