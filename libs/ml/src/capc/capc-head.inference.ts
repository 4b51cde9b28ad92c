import { DomainError } from '@conclave/common';
import type { CapcDenseLayer, CapcHeadModel, LinearHead, SquareMlpHead } from './capc-head.types.js';

function checkLength(head: CapcHeadModel, features: ArrayLike<number>): void {
  if (features.length !== head.dimension) {
    throw new DomainError('VALIDATION_FAILED', `a head of dimension ${head.dimension} got ${features.length} features`);
  }
}

function dense(layer: CapcDenseLayer, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(layer.rows);
  for (let i = 0; i < layer.rows; i++) {
    let acc = layer.bias[i];
    const row = i * layer.cols;
    for (let j = 0; j < layer.cols; j++) acc += layer.weights[row + j] * x[j];
    out[i] = acc;
  }
  return out;
}

/** Plaintext reference of a linear head (double precision): W x + b. */
export function linearHeadLogits(head: LinearHead, features: ArrayLike<number>): Float64Array {
  checkLength(head, features);
  return dense({ rows: head.classes, cols: head.dimension, weights: head.weights, bias: head.bias }, features);
}

/** Plaintext reference of a square-activation MLP head (double precision), as libs/crypto's `ckksMlpLogits`. */
export function squareMlpLogits(head: SquareMlpHead, features: ArrayLike<number>): Float64Array {
  checkLength(head, features);
  const hidden = dense(head.hidden, features);
  for (let i = 0; i < hidden.length; i++) hidden[i] *= hidden[i];
  return dense(head.output, hidden);
}

export function capcHeadLogits(head: CapcHeadModel, features: ArrayLike<number>): Float64Array {
  return head.kind === 'linear' ? linearHeadLogits(head, features) : squareMlpLogits(head, features);
}

/** Index of the largest value; ties go to the lowest index (as libs/crypto's secure argmax). */
export function argmaxLogit(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Share of records whose argmax logit is their label. */
export function capcHeadAccuracy(
  head: CapcHeadModel,
  features: ReadonlyArray<ArrayLike<number>>,
  labels: ArrayLike<number>,
): number {
  if (features.length !== labels.length) throw new DomainError('VALIDATION_FAILED', 'one label per record');
  if (features.length === 0) return 0;
  let correct = 0;
  features.forEach((x, i) => {
    if (argmaxLogit(capcHeadLogits(head, x)) === labels[i]) correct++;
  });
  return correct / features.length;
}
