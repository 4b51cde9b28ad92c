import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CryptoError, type CryptoErrorCode } from '../errors/crypto-error.js';
import { PrimeField } from '../ring/prime-field.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { chiSquareCritical, chiSquareUniform } from '../testing/chi-square.js';
import { reconstructLogits } from './bfv-linear.js';
import {
  CkksMlpClient,
  CkksMlpTeacher,
  ckksGaloisSteps,
  ckksMlpLogits,
  ckksMlpShape,
  type CkksDenseLayer,
  type CkksMlp,
} from './ckks-mlp.js';
import { HeContext } from './he-context.js';
import type { HeEvaluationKeys, HeKeyPair } from './he-keys.js';
import { BFV_4096, CKKS_16384, CKKS_8192 } from './he-parameters.js';
import { loadSealRuntime, type SealRuntime } from './seal-runtime.js';

const T = 1073692673;
const FRACTION = 2 ** 12;

function expectCode(fn: () => unknown, code: CryptoErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(CryptoError);
  expect((thrown as CryptoError).code).toBe(code);
}

const rng = new SeededRng('ckks-spec');
const uniform = (): number => (rng.nextUint32() / 2 ** 32) * 2 - 1;
const dense = (rows: number, cols: number): CkksDenseLayer => ({
  rows,
  cols,
  weights: Float64Array.from({ length: rows * cols }, uniform),
  bias: Float64Array.from({ length: rows }, uniform),
});

let runtime: SealRuntime;
let linearContext: HeContext;
let mlpContext: HeContext;
let linearKeys: HeKeyPair;
let mlpKeys: HeKeyPair;
const linearModel: CkksMlp = { inputs: 16, output: dense(10, 16) };
const mlpModel: CkksMlp = { inputs: 8, hidden: dense(8, 8), output: dense(4, 8) };
let linearEvalKeys: HeEvaluationKeys;
let mlpEvalKeys: HeEvaluationKeys;

beforeAll(async () => {
  runtime = await loadSealRuntime();
  linearContext = await HeContext.create(CKKS_8192, runtime);
  mlpContext = await HeContext.create(CKKS_16384, runtime);
  linearKeys = linearContext.generateKeys();
  mlpKeys = mlpContext.generateKeys();
  linearEvalKeys = linearContext.importEvaluationKeys(
    new CkksMlpClient(linearKeys, ckksMlpShape(linearModel)).evaluationKeys(),
  );
  mlpEvalKeys = mlpContext.importEvaluationKeys(new CkksMlpClient(mlpKeys, ckksMlpShape(mlpModel)).evaluationKeys());
});

afterAll(() => {
  for (const disposable of [linearEvalKeys, mlpEvalKeys, linearKeys, mlpKeys, linearContext, mlpContext]) {
    disposable.dispose();
  }
  expect(runtime.liveObjects).toBe(0);
});

describe('CKKS heads (packed diagonals, baby-step giant-step rotations, square activation)', () => {
  it.each([
    ['a linear head on CKKS_8192', () => linearContext, () => linearKeys, () => linearEvalKeys, linearModel],
    ['a square-activation MLP on CKKS_16384', () => mlpContext, () => mlpKeys, () => mlpEvalKeys, mlpModel],
  ])('reconstruct round(logit * 2^12) within a few units: %s', (_name, context, keys, evalKeys, model) => {
    const teacher = CkksMlpTeacher.prepare(context(), model);
    const client = new CkksMlpClient(keys(), ckksMlpShape(model));
    for (let i = 0; i < 2; i++) {
      const x = Float64Array.from({ length: model.inputs }, uniform);
      const { response, share } = teacher.evaluate(client.encryptQuery(x), evalKeys(), keys().publicKey, rng);
      const got = reconstructLogits(T, client.decryptShare(response), share);
      const want = ckksMlpLogits(model, x).map((v) => v * FRACTION);
      got.forEach((g, j) => expect(Math.abs(g - want[j])).toBeLessThan(4));
    }
    teacher.dispose();
  });

  it("mask the querying party's shares: uniform in Z_p (chi-square), never the logits", () => {
    const teacher = CkksMlpTeacher.prepare(linearContext, linearModel);
    const client = new CkksMlpClient(linearKeys, ckksMlpShape(linearModel));
    const x = Float64Array.from({ length: 16 }, uniform);
    const query = client.encryptQuery(x);
    const field = new PrimeField(T);
    const truth = ckksMlpLogits(linearModel, x).map((v) => field.fromSigned(Math.round(v * FRACTION)));
    const shares: number[] = [];
    for (let run = 0; run < 30; run++) {
      const { response } = teacher.evaluate(query, linearEvalKeys, linearKeys.publicKey, rng);
      shares.push(...client.decryptShare(response));
    }
    expect(chiSquareUniform(shares, T, 16)).toBeLessThan(chiSquareCritical(15));
    expect(shares.filter((s, i) => Math.abs(s - truth[i % 10]) < 8).length).toBe(0);
    const unmasked = Array.from({ length: 30 }, () => truth).flat();
    expect(chiSquareUniform(unmasked, T, 16)).toBeGreaterThan(chiSquareCritical(15));
    teacher.dispose();
  });

  it('need the right keys and parameters; refuse queries at another scale', () => {
    expect(ckksGaloisSteps({ inputs: 8, hidden: 8, classes: 4 })).toEqual([1, 2, 3, 4]);
    expectCode(() => CkksMlpTeacher.prepare(linearContext, mlpModel), 'PARAMETERS_INSUFFICIENT');
    expectCode(() => CkksMlpTeacher.prepare(mlpContext, { ...mlpModel, inputs: 9 }), 'INVALID_ARGUMENT');
    const teacher = CkksMlpTeacher.prepare(mlpContext, mlpModel);
    const client = new CkksMlpClient(mlpKeys, ckksMlpShape(mlpModel));
    const query = client.encryptQuery(new Float64Array(8));
    const galoisOnly = mlpContext.importEvaluationKeys({ galoisKeys: client.evaluationKeys().galoisKeys });
    expectCode(() => teacher.evaluate(query, galoisOnly, mlpKeys.publicKey, rng), 'INVALID_KEY');
    galoisOnly.dispose();
    const otherScale = query.slice();
    new DataView(otherScale.buffer).setFloat64(40, 2 ** 30, true);
    expectCode(() => teacher.evaluate(otherScale, mlpEvalKeys, mlpKeys.publicKey, rng), 'INVALID_CIPHERTEXT');
    expectCode(() => teacher.evaluate(query, linearEvalKeys, mlpKeys.publicKey, rng), 'CONTEXT_MISMATCH');
    teacher.dispose();
    expect(runtime.failed).toBe(false);
  });

  it('transport evaluation keys strictly: other contexts, truncation and bad tables are refused', async () => {
    const bytes = new CkksMlpClient(linearKeys, ckksMlpShape(linearModel)).evaluationKeys();
    const galois = bytes.galoisKeys!;
    const bfv = await HeContext.create(BFV_4096, runtime);
    expectCode(() => bfv.importEvaluationKeys({ galoisKeys: galois }), 'CONTEXT_MISMATCH');
    bfv.dispose();
    expectCode(
      () => linearContext.importEvaluationKeys({ galoisKeys: galois.subarray(0, galois.length - 1) }),
      'INVALID_KEY',
    );
    const badTable = galois.slice();
    new DataView(badTable.buffer).setUint32(48 + 8 + 8, 1 << 20, true); // an entry's index beyond the table
    expectCode(() => linearContext.importEvaluationKeys({ galoisKeys: badTable }), 'INVALID_KEY');
    const outOfRange = galois.slice();
    outOfRange.fill(0xff, galois.length - 65 - 8, galois.length - 65); // last coefficient of the last key >= q
    expectCode(() => linearContext.importEvaluationKeys({ galoisKeys: outOfRange }), 'INVALID_KEY');
    expect(runtime.failed).toBe(false);
  });
});
