import { ServiceClient } from '@conclave/common';
import { MNIST_SCHEMA } from '@conclave/ml';
import { sliceMnistIdx } from './mnist-idx.slicer.js';

export interface LoadMnistPartitionsOptions {
  /** Base URL of the teacher service. */
  url: string;
  /** The data owner's (admin) key at that service. */
  key: string;
  dataset: string;
  partitions: number;
  perPartition: number;
  /** First MNIST training record of the first partition (default 0). */
  offset?: number;
  /** Partition names are `<prefix>-<index>`, index zero-padded (default prefix: `p`). */
  namePrefix?: string;
  /** Called after each partition is loaded. */
  onLoaded?: (loaded: { name: string; records: number; first: number }) => void;
}

/**
 * Loads disjoint slices of MNIST's training set into a teacher service through its API, one partition per
 * slice: creates the partition (MNIST's schema), then uploads the slice as MNIST's own IDX files.
 */
export async function loadMnistPartitions(options: LoadMnistPartitionsOptions): Promise<string[]> {
  const client = new ServiceClient({ service: 'teacher', baseUrl: options.url, apiKey: options.key, retries: 2 });
  const offset = options.offset ?? 0;
  const prefix = options.namePrefix ?? 'p';
  const width = Math.max(3, String(options.partitions - 1).length);
  const dataset = encodeURIComponent(options.dataset);
  const names: string[] = [];
  for (let i = 0; i < options.partitions; i++) {
    const name = `${prefix}-${String(i).padStart(width, '0')}`;
    const first = offset + i * options.perPartition;
    const { labels, images } = await sliceMnistIdx('train', first, options.perPartition);
    await client.post(`/v1/datasets/${dataset}/partitions`, { name, recordSchema: MNIST_SCHEMA });
    const form = new FormData();
    // The labels part comes first: the service holds it (one byte per record) while the images stream past.
    form.append('labels', new Blob([labels]), 'labels-idx1-ubyte');
    form.append('images', new Blob([images]), 'images-idx3-ubyte');
    await client.post(`/v1/datasets/${dataset}/partitions/${encodeURIComponent(name)}/records?format=idx`, form, {
      timeoutMs: 600_000,
    });
    names.push(name);
    options.onLoaded?.({ name, records: options.perPartition, first });
  }
  return names;
}
