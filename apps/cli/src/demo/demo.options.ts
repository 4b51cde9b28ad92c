/**
 * The settings of `conclave demo`: the default size (under 10 minutes on 2 cores) and `--full`, the setting of
 * Scalable PATE's MNIST result (Papernot et al., ICLR 2018, Table 2: 250 teachers on the 60,000 training
 * images, Confident-GNMax T=200, σ1=150, σ2=40, 640 queries, δ=1e-5).
 */
export interface DemoSettings {
  /** Hospitals: one teacher service each. */
  services: number;
  partitionsPerService: number;
  /** MNIST training images per partition (teacher); partitions are disjoint slices. */
  perPartition: number;
  teacherArchitecture: 'cnn' | 'mlp';
  teacherEpochs?: number;
  /** The student's pool: the first `poolSize` MNIST test images; the job asks the first `queries` of them. */
  poolSize: number;
  /** Held-out evaluation: the last `evaluationSize` MNIST test images. */
  evaluationSize: number;
  queries: number;
  mechanism: { name: 'confident-gnmax'; threshold: number; sigma1: number; sigma2: number };
  /** ε limit of the job's budget (the budget is a filter: the job stops when the next answer would exceed it). */
  epsilonLimit: number;
  delta: number;
  studentPreset: 'quick' | 'full';
  /** Non-private baseline: the student's architecture trained on every teacher's training image. */
  baselineEpochs: number;
}

export type DemoSize = 'default' | 'full';

export const DEMO_PRESETS: Record<DemoSize, DemoSettings> = {
  // 50 teachers: the thresholds and noise scale with the ensemble (T ≈ 0.7 of the teachers, as 200/250 in the
  // paper is 0.8, and σ1, σ2 in proportion).
  default: {
    services: 5,
    partitionsPerService: 10,
    perPartition: 240,
    teacherArchitecture: 'cnn',
    poolSize: 9000,
    evaluationSize: 1000,
    queries: 300,
    mechanism: { name: 'confident-gnmax', threshold: 35, sigma1: 25, sigma2: 6 },
    epsilonLimit: 8,
    delta: 1e-5,
    studentPreset: 'quick',
    baselineEpochs: 2,
  },
  full: {
    services: 5,
    partitionsPerService: 50,
    perPartition: 240,
    teacherArchitecture: 'cnn',
    poolSize: 9000,
    evaluationSize: 1000,
    queries: 640,
    mechanism: { name: 'confident-gnmax', threshold: 200, sigma1: 150, sigma2: 40 },
    epsilonLimit: 8,
    delta: 1e-5,
    studentPreset: 'full',
    baselineEpochs: 3,
  },
};

export function teacherCount(settings: DemoSettings): number {
  return settings.services * settings.partitionsPerService;
}

/** Checks a (possibly overridden) setting against MNIST's sizes; returns the problems, empty when fine. */
export function checkSettings(s: DemoSettings): string[] {
  const problems: string[] = [];
  const positive = (v: number, name: string) => {
    if (!Number.isSafeInteger(v) || v < 1) problems.push(`${name} must be a positive integer`);
  };
  positive(s.services, 'services');
  positive(s.partitionsPerService, 'partitions per service');
  positive(s.perPartition, 'images per partition');
  positive(s.poolSize, 'pool size');
  positive(s.evaluationSize, 'evaluation size');
  positive(s.queries, 'queries');
  if (s.services > 26) problems.push('at most 26 teacher services (hospitals a to z)');
  if (teacherCount(s) * s.perPartition > 60_000) problems.push('the teachers need more than MNIST’s 60,000 images');
  if (s.poolSize + s.evaluationSize > 10_000) problems.push('pool and evaluation exceed MNIST’s 10,000 test images');
  if (s.queries > s.poolSize) problems.push('more queries than pool records');
  if (!(s.epsilonLimit > 0)) problems.push('the ε limit must be positive');
  return problems;
}
