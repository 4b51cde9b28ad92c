import { randomInt } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';

type Initializer = ReturnType<typeof tf.initializers.heNormal>;

/**
 * Seeded weight initialisers, so that a model (and its training run) can be reproduced from its seed.
 * Layer k of a model gets seed + k. Not privacy-relevant randomness.
 */
export class LayerInitializers {
  private next: number;

  constructor(readonly seed: number = randomInt(0, 2 ** 31 - 1)) {
    this.next = seed;
  }

  /** He initialisation, suited to ReLU layers. */
  relu(): Initializer {
    return tf.initializers.heNormal({ seed: this.next++ });
  }

  /** Glorot initialisation, for the output layer. */
  output(): Initializer {
    return tf.initializers.glorotUniform({ seed: this.next++ });
  }

  dropoutSeed(): number {
    return this.next++;
  }
}

/** The output head: softmax over classes, or one sigmoid per class for multi-label data. */
export function outputActivation(multiLabel: boolean | undefined): 'softmax' | 'sigmoid' {
  return multiLabel ? 'sigmoid' : 'softmax';
}
