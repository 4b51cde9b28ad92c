import {
  createModel,
  defaultModelSpec,
  evaluate,
  initTensorflow,
  loadMnist,
  MNIST_SCHEMA,
  trainModel,
  type TrainProgress,
} from '@conclave/ml';

export interface BaselineResult {
  accuracy: number;
  trainRecords: number;
  seconds: number;
  backend: string;
}

/**
 * The non-private baseline of the reproduction: one model trained directly on every image the teachers hold
 * (what the consortium could reach if the data were pooled), evaluated on the same held-out images as the student.
 */
export async function trainBaseline(input: {
  trainRecords: number;
  evaluationOffset: number;
  evaluationSize: number;
  epochs: number;
  onProgress?: (progress: TrainProgress) => void;
}): Promise<BaselineResult> {
  const backend = await initTensorflow({ prefer: 'wasm' });
  const t0 = performance.now();
  const train = await loadMnist({ split: 'train', offset: 0, count: input.trainRecords });
  const test = await loadMnist({ split: 'test', offset: input.evaluationOffset, count: input.evaluationSize });
  const model = createModel(defaultModelSpec(MNIST_SCHEMA, 'cnn'));
  try {
    await trainModel(model, train, {
      epochs: input.epochs,
      batchSize: 64,
      learningRate: 0.002,
      augment: 'random-shift',
      seed: 7,
      onProgress: input.onProgress,
    });
    return {
      accuracy: evaluate(model, test),
      trainRecords: input.trainRecords,
      seconds: (performance.now() - t0) / 1000,
      backend: backend.name,
    };
  } finally {
    model.dispose();
  }
}
