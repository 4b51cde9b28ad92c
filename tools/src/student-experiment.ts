// The PATE student on MNIST (Papernot et al., "Scalable Private Learning with PATE", ICLR 2018, section 5 and
// Table 2): the student's pool is the first 9,000 MNIST test images, of which the aggregator labels a few hundred
// (286 in the paper's Confident-GNMax run, at 98.5% student accuracy); the rest stay unlabeled; the student is
// evaluated on the last 1,000 test images.
//
// Here the released labels are simulated: `--labels` records drawn at random (seeded) from the pool, carrying
// their true class except for a fraction `--label-noise` flipped to a wrong class (the aggregator's answered
// labels are not all right): a random one (`--noise-kind random`), or (`--noise-kind model`) the most confident
// mistakes of a weak reference CNN (1,000 training images) on the chosen records, which is closer to the teacher
// ensemble's errors — on ambiguous digits, towards a plausible class. Trains the student with trainStudent and prints its accuracy and time.
//
// Usage: node tools/dist/student-experiment.js [--preset quick|full] [--labels 286] [--label-noise 0.02]
//   [--noise-kind random|model]
//   [--seed 1] [--method fixmatch|supervised] [--architecture cnn|mlp] [--epochs E] [--batch-size B]
//   [--learning-rate η] [--threshold τ] [--mu μ] [--lambda λ] [--warmup W] [--ema decay]
//   [--strong '{"cutout":[0.2,0.4]}'] [--options '{"labelSmoothing":0.1,"cnn":{"filters":[32,64]}}'] [--trace]
// (--options: any other StudentTrainOptions, as JSON, applied last.)
// (--trace also prints the test accuracy after every epoch and the most frequent confusions; the evaluation time
// is excluded from the timing.) Prints CPU seconds next to wall-clock seconds: on a shared machine the latter
// grows with other processes' load.
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  createModel,
  defaultModelSpec,
  defaultTrainOptions,
  evaluate,
  initTensorflow,
  loadMnist,
  MNIST_SCHEMA,
  predictProbabilities,
  trainModel,
  trainStudent,
  type Architecture,
  type StudentMethod,
  type StudentTrainOptions,
} from '@conclave/ml';

const POOL = 9_000;
const TEST = 1_000;
const PIXELS = 28 * 28;
/** Training images of the reference CNN whose mistakes are the wrong labels under --noise-kind model. */
const REFERENCE_IMAGES = 1_000;

/** A seeded uniform number in [0, 1) for (seed, tag, i): reproducible, and no Math.random. */
function hashUniform(seed: number, tag: string, i: number): number {
  return createHash('sha256').update(`${seed}:${tag}:${i}`).digest().readUInt32BE(0) / 2 ** 32;
}

function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`--${name} must be a number`);
  return parsed;
}

/** The most frequent (true → predicted) mistakes on the test set. */
function confusions(model: Parameters<typeof evaluate>[0], test: Awaited<ReturnType<typeof loadMnist>>): string {
  const probabilities = predictProbabilities(model, test);
  const counts = new Map<string, number>();
  for (let i = 0; i < test.count; i++) {
    const row = probabilities.subarray(i * 10, (i + 1) * 10);
    const predicted = row.indexOf(Math.max(...row));
    if (predicted === test.labels[i]) continue;
    const key = `${test.labels[i]}→${predicted}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([key, n]) => `${key} ×${n}`)
    .join(', ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      preset: { type: 'string', default: 'full' },
      labels: { type: 'string', default: '286' },
      'label-noise': { type: 'string', default: '0.02' },
      'noise-kind': { type: 'string', default: 'random' },
      seed: { type: 'string', default: '1' },
      method: { type: 'string' },
      architecture: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      'learning-rate': { type: 'string' },
      threshold: { type: 'string' },
      mu: { type: 'string' },
      lambda: { type: 'string' },
      warmup: { type: 'string' },
      strong: { type: 'string' },
      ema: { type: 'string' },
      options: { type: 'string' },
      trace: { type: 'boolean', default: false },
    },
  });
  const preset = values.preset;
  if (preset !== 'quick' && preset !== 'full') throw new Error('--preset must be quick or full');
  const labelCount = Number(values.labels);
  const noise = Number(values['label-noise']);
  const seed = Number(values.seed);
  if (!Number.isInteger(labelCount) || labelCount < 1 || labelCount > POOL) throw new Error('--labels: 1..9000');
  if (!(noise >= 0 && noise < 1)) throw new Error('--label-noise must be in [0, 1)');
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error('--seed must be a non-negative integer');

  const backend = await initTensorflow({ prefer: 'wasm' });
  const pool = await loadMnist({ split: 'test', offset: 0, count: POOL });
  const test = await loadMnist({ split: 'test', offset: POOL, count: TEST });

  // Which pool records get a label: the first `labelCount` of a seeded shuffle; the first round(noise · n) of
  // those get a wrong class.
  const keys = Float64Array.from({ length: POOL }, (_, i) => hashUniform(seed, 'pick', i));
  const order = Array.from({ length: POOL }, (_, i) => i).sort((a, b) => keys[a] - keys[b]);
  const chosen = order.slice(0, labelCount);
  const isLabeled = new Uint8Array(POOL);
  const features = new Float32Array(labelCount * PIXELS);
  const labels = new Int32Array(labelCount);
  const flips = Math.round(noise * labelCount);
  // 'model' noise: the wrong labels are a weak reference CNN's most confident mistakes on the chosen records (its
  // class, not a random one), as the teacher ensemble's are: on ambiguous digits, towards a plausible class.
  const wrongLabel = new Map<number, number>();
  if (values['noise-kind'] === 'model') {
    const train = await loadMnist({ split: 'train', offset: 0, count: REFERENCE_IMAGES });
    const spec = { ...defaultModelSpec(MNIST_SCHEMA, 'cnn'), seed };
    const reference = createModel(spec);
    await trainModel(reference, train, { ...defaultTrainOptions(spec), seed });
    const chosenData = { ...pool, count: labelCount, labels: Int32Array.from(chosen, (r) => pool.labels[r]) };
    chosenData.features = new Float32Array(labelCount * PIXELS);
    chosen.forEach((r, i) => chosenData.features.set(pool.features.subarray(r * PIXELS, (r + 1) * PIXELS), i * PIXELS));
    const probabilities = predictProbabilities(reference, chosenData);
    reference.dispose();
    const mistakes: { i: number; predicted: number; confidence: number }[] = [];
    for (let i = 0; i < labelCount; i++) {
      const row = probabilities.subarray(i * 10, (i + 1) * 10);
      const predicted = row.indexOf(Math.max(...row));
      if (predicted !== chosenData.labels[i]) mistakes.push({ i, predicted, confidence: row[predicted] });
    }
    mistakes.sort((a, b) => b.confidence - a.confidence);
    for (const m of mistakes.slice(0, flips)) wrongLabel.set(m.i, m.predicted);
  } else if (values['noise-kind'] === 'random') {
    for (let i = 0; i < flips; i++) {
      wrongLabel.set(i, (pool.labels[chosen[i]] + 1 + Math.floor(hashUniform(seed, 'flip', i) * 9)) % 10);
    }
  } else {
    throw new Error('--noise-kind must be random or model');
  }
  chosen.forEach((r, i) => {
    isLabeled[r] = 1;
    features.set(pool.features.subarray(r * PIXELS, (r + 1) * PIXELS), i * PIXELS);
    labels[i] = wrongLabel.get(i) ?? pool.labels[r];
  });
  const unlabeled = new Float32Array((POOL - labelCount) * PIXELS);
  let u = 0;
  for (let r = 0; r < POOL; r++) {
    if (isLabeled[r]) continue;
    unlabeled.set(pool.features.subarray(r * PIXELS, (r + 1) * PIXELS), u * PIXELS);
    u += 1;
  }
  const correctLabels = labels.reduce((n, c, i) => n + (c === pool.labels[chosen[i]] ? 1 : 0), 0);

  let evaluationSeconds = 0;
  let lastEpochLog = performance.now();
  const options: StudentTrainOptions = {
    preset,
    seed,
    method: values.method as StudentMethod | undefined,
    architecture: values.architecture as Architecture | undefined,
    epochs: numberOption(values.epochs, 'epochs'),
    batchSize: numberOption(values['batch-size'], 'batch-size'),
    learningRate: numberOption(values['learning-rate'], 'learning-rate'),
    confidenceThreshold: numberOption(values.threshold, 'threshold'),
    unlabeledRatio: numberOption(values.mu, 'mu'),
    unlabeledWeight: numberOption(values.lambda, 'lambda'),
    warmupEpochs: numberOption(values.warmup, 'warmup'),
    weightAverageDecay: numberOption(values.ema, 'ema'),
    strongAugmentation: values.strong
      ? (JSON.parse(values.strong) as StudentTrainOptions['strongAugmentation'])
      : undefined,
    ...(values.options ? (JSON.parse(values.options) as StudentTrainOptions) : {}),
  };
  // One line per epoch: mean loss and pseudo-labeled fraction over its steps.
  let rateSum = 0;
  let lossSum = 0;
  options.onProgress = (p) => {
    rateSum += p.pseudoLabelRate;
    lossSum += p.loss;
    if (p.step !== p.steps) return;
    const seconds = (performance.now() - lastEpochLog) / 1000;
    const pseudo = (100 * rateSum) / p.steps;
    console.log(
      `epoch ${p.epoch}/${p.epochs}: loss ${(lossSum / p.steps).toFixed(4)}, pseudo-labeled ${pseudo.toFixed(1)}%, ` +
        `${p.droppedLabels ? `labels dropped ${p.droppedLabels}, ` : ''}${seconds.toFixed(1)} s`,
    );
    rateSum = lossSum = 0;
    lastEpochLog = performance.now();
  };
  if (values.trace) {
    options.onEpochEnd = (epoch, model) => {
      const t = performance.now();
      console.log(`epoch ${epoch}: test accuracy ${(100 * evaluate(model, test)).toFixed(2)}%`);
      evaluationSeconds += (performance.now() - t) / 1000;
      lastEpochLog = performance.now();
    };
  }
  const cpuBefore = process.cpuUsage();
  const result = await trainStudent(
    { schema: MNIST_SCHEMA, numClasses: 10, labeled: { features, labels }, unlabeled },
    options,
  );
  const accuracy = evaluate(result.model, test);
  if (values.trace) console.log(`most frequent confusions (true→predicted ×count): ${confusions(result.model, test)}`);
  const trainingSeconds = result.seconds - evaluationSeconds;
  // CPU time too: the machine is shared, and wall-clock time grows with other processes' load.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6 - evaluationSeconds;
  console.log(
    `student (${result.method}, ${result.spec.architecture}, preset ${preset}) on ${labelCount} labels ` +
      `(${correctLabels} right) + ${u} unlabeled: test accuracy ${(100 * accuracy).toFixed(2)}% on ${TEST}, ` +
      `${trainingSeconds.toFixed(1)} s (CPU ${cpuSeconds.toFixed(1)} s; ${result.epochs} epochs, ${result.steps} steps, backend ${backend.name})`,
  );
  console.log(
    JSON.stringify({
      preset,
      method: result.method,
      architecture: result.spec.architecture,
      labels: labelCount,
      labelNoise: noise,
      noiseKind: values['noise-kind'],
      correctLabels,
      unlabeled: u,
      accuracy,
      seconds: Number(trainingSeconds.toFixed(1)),
      cpuSeconds: Number(cpuSeconds.toFixed(1)),
      epochs: result.epochs,
      steps: result.steps,
      seed,
      backend: backend.name,
      options: values.options ? (JSON.parse(values.options) as unknown) : undefined,
      load: loadavg().map((x) => Number(x.toFixed(2))),
    }),
  );
  result.model.dispose();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
