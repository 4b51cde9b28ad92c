import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DomainError } from '@conclave/common';
import type { CapcHead, CapcHeadSource } from './capc-head.source.js';

interface HeadJson {
  partitionId: string;
  partitionIndex: number;
  extractorId: string;
  kind: 'linear' | 'square-mlp';
  classes: number;
  dimension: number;
  weights: number[];
  bias: number[];
}

/**
 * Heads read from a JSON file (`CAPC_HEADS_FILE`: { "<dataset>": [head, …] }) — for tests and demos of the protocol
 * only, where heads are fixed so that a plaintext reference can be computed from the same weights. Teachers trained
 * by the service get their heads from CapcHeadsModule.
 */
export class FileCapcHeads implements CapcHeadSource {
  private readonly heads: Map<string, CapcHead[]>;

  constructor(path: string) {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, HeadJson[]>;
    this.heads = new Map(
      Object.entries(parsed).map(([dataset, heads]) => [
        dataset,
        heads.map((h) => ({
          ...h,
          weights: Float32Array.from(h.weights),
          bias: Float32Array.from(h.bias),
          contentHash: createHash('sha256')
            .update(JSON.stringify([h.weights, h.bias]))
            .digest('hex'),
        })),
      ]),
    );
  }

  headsFor(datasetId: string): Promise<CapcHead[]> {
    const heads = this.heads.get(datasetId);
    if (!heads) return Promise.reject(new DomainError('CONFLICT', `No confidential-mode heads for '${datasetId}'`));
    return Promise.resolve(heads);
  }
}
