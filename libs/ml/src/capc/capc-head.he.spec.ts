import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  BFV_8192,
  BfvLinearClient,
  BfvLinearTeacher,
  CKKS_16384,
  CkksMlpClient,
  CkksMlpTeacher,
  HeContext,
  SeededRng,
  ckksMlpLogits,
  ckksMlpShape,
  linearLogits,
  loadSealRuntime,
  maxAbsLogit,
  quantize,
  reconstructLogits,
  type SealRuntime,
} from '@conclave/crypto';
import { initTensorflow } from '../backend/tensorflow.backend.js';
import { loadMnist } from '../readers/mnist.loader.js';
import { argmaxLogit, linearHeadLogits, squareMlpLogits } from './capc-head.inference.js';
import { quantizeLinearHead } from './capc-head.quantizer.js';
import { trainLinearHead, trainSquareMlpHead } from './capc-head.trainer.js';
import type { LinearHead, SquareMlpHead } from './capc-head.types.js';
import { publicFeatureExtractor } from './public-feature.extractor.js';

/** BFV's plain modulus t (every parameter set) = the ring of the shares. */
const T = 1073692673;
const extractor = publicFeatureExtractor('mnist');

/**
 * The heads as libs/crypto takes them: the quantization of libs/ml against libs/crypto's own `quantize`,
 * `linearLogits` and `maxAbsLogit`, then one real encrypted query per scheme (BFV_8192 with noise flooding;
 * CKKS_16384 for the square MLP, since a hidden layer needs three rescalings).
 */
describe('CaPC heads against libs/crypto', () => {
  let queries: Float32Array[];
  let labels: Int32Array;
  let linear: LinearHead;
  let mlp: SquareMlpHead;
  let runtime: SealRuntime;

  beforeAll(async () => {
    await initTensorflow({ prefer: 'wasm' });
    const train = await loadMnist({ split: 'train', offset: 20_000, count: 240 });
    const features = extractor.extractMatrix(train.features, train.count);
    linear = (await trainLinearHead({ matrix: features, count: 240 }, train.labels, 10, { extractorId: extractor.id }))
      .head;
    mlp = (await trainSquareMlpHead({ matrix: features, count: 240 }, train.labels, 10, { extractorId: extractor.id }))
      .head;
    const test = await loadMnist({ split: 'test', offset: 0, count: 2_000 });
    queries = extractor.extract(
      Array.from({ length: test.count }, (_, i) => test.features.subarray(i * 784, (i + 1) * 784)),
    );
    labels = test.labels;
    runtime = await loadSealRuntime();
  });

  afterAll(() => {
    expect(runtime.liveObjects).toBe(0);
  });

  it('quantized logits (libs/crypto quantize + linearLogits) give the float argmax on >= 99% of 2,000 queries', () => {
    const head = quantizeLinearHead(linear, extractor);
    expect(maxAbsLogit(head)).toBeLessThan(T / 4);
    let same = 0;
    let correctFloat = 0;
    let correctQuantized = 0;
    for (const [i, x] of queries.entries()) {
      const viaCrypto = quantize(x, extractor.featureScale, extractor.maxAbsFeature);
      expect(viaCrypto).toEqual(extractor.quantize([x])[0]);
      const floatClass = argmaxLogit(linearHeadLogits(linear, x));
      const quantizedClass = argmaxLogit(linearLogits(head, viaCrypto));
      if (floatClass === quantizedClass) same++;
      if (floatClass === labels[i]) correctFloat++;
      if (quantizedClass === labels[i]) correctQuantized++;
    }
    expect(same / queries.length).toBeGreaterThanOrEqual(0.99); // measured 1.0 (2,000 / 2,000)
    expect(Math.abs(correctQuantized - correctFloat)).toBeLessThanOrEqual(queries.length * 0.005);
  });

  it('a BFV_8192 teacher (40-bit flooding) answers an encrypted query with the exact quantized logits', async () => {
    const context = await HeContext.create(BFV_8192, runtime);
    const keys = context.generateKeys();
    const head = quantizeLinearHead(linear, extractor);
    const teacher = BfvLinearTeacher.prepare(context, head);
    const client = new BfvLinearClient(keys, head, head.maxAbsFeature);
    try {
      const rng = new SeededRng('capc-head-he-spec');
      for (const x of queries.slice(0, 3)) {
        const ints = extractor.quantize([x])[0];
        const { response, share } = teacher.evaluate(client.encryptQuery(ints), keys.publicKey, { rng });
        const logits = reconstructLogits(T, client.decryptShare(response), share);
        expect(logits).toEqual(linearLogits(head, ints));
        expect(argmaxLogit(logits)).toBe(argmaxLogit(linearHeadLogits(linear, x)));
      }
    } finally {
      teacher.dispose();
      keys.dispose();
      context.dispose();
    }
  });

  it('a CKKS_16384 teacher evaluates the square MLP head as it is (CkksMlp layout)', async () => {
    expect(ckksMlpShape(mlp)).toEqual({ inputs: 64, hidden: 32, classes: 10 });
    const x = queries[0];
    const reference = ckksMlpLogits(mlp, x);
    squareMlpLogits(mlp, x).forEach((v, i) => expect(v).toBeCloseTo(reference[i], 9));
    // |logit| * 2^12 must stay below t / 4 for the secure argmax: measured max |logit| ~ 150 on MNIST.
    const largest = Math.max(...queries.map((q) => Math.max(...squareMlpLogits(mlp, q).map(Math.abs))));
    expect(largest * 2 ** 12).toBeLessThan(T / 4);
    const context = await HeContext.create(CKKS_16384, runtime);
    const keys = context.generateKeys();
    const client = new CkksMlpClient(keys, ckksMlpShape(mlp));
    const evaluationKeys = context.importEvaluationKeys(client.evaluationKeys());
    const teacher = CkksMlpTeacher.prepare(context, mlp);
    try {
      const { response, share } = teacher.evaluate(
        client.encryptQuery(x),
        evaluationKeys,
        keys.publicKey,
        new SeededRng('capc-ckks'),
      );
      const logits = reconstructLogits(T, client.decryptShare(response), share);
      logits.forEach((v, i) => expect(Math.abs(v - reference[i] * 2 ** 12)).toBeLessThan(8));
      expect(argmaxLogit(logits)).toBe(argmaxLogit(reference));
    } finally {
      teacher.dispose();
      evaluationKeys.dispose();
      keys.dispose();
      context.dispose();
    }
  });
});
