// Reproduction benchmark (issue 5): Scalable PATE's MNIST result (Papernot et al., ICLR 2018, Table 2) on the
// platform — 250 teachers on the 60,000 training images (240 each, 5 hospitals × 50), the student's pool the first
// 9,000 test images, evaluation on the last 1,000, Confident-GNMax T=200, σ1=150, σ2=40, 640 queries, δ=1e-5 — run
// as `conclave demo --full` runs it, plus a sweep of the number of queries (each with its own budget, job and
// student) for the plot of student accuracy against ε. Writes docs/benchmarks.md (section bench:pate-mnist) and
// docs/pate-mnist-accuracy-vs-epsilon.svg; the last line of output is one JSON object.
// Usage: npm run bench:pate-mnist [-- --quick] [-- --no-sweep] [-- --no-docs]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform as osPlatform, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import { DEMO_PRESETS, renderDemoTable, runDemo, type DemoResult, type SweepSetting } from '@conclave/app-cli';
import { writeBenchmarkSection } from './benchmark-doc.js';

const PLOT = 'docs/pate-mnist-accuracy-vs-epsilon.svg';

/** Published anchors: Scalable PATE (ICLR 2018) Table 2 and PATE (ICLR 2017), MNIST. */
const ANCHORS = [
  { source: 'Scalable PATE 2018 (Confident-GNMax, 286 answers)', epsilon: 1.97, accuracy: 0.985 },
  { source: 'PATE 2017 (LNMax, 100 answers)', epsilon: 2.04, accuracy: 0.98 },
];

function parse(): { quick: boolean; sweep: boolean; docs: boolean } {
  const args = process.argv.slice(2);
  for (const a of args) {
    if (!['--quick', '--no-sweep', '--no-docs'].includes(a)) {
      throw new Error(`unknown option ${a} (known: --quick, --no-sweep, --no-docs)`);
    }
  }
  return { quick: args.includes('--quick'), sweep: !args.includes('--no-sweep'), docs: !args.includes('--no-docs') };
}

function sweepOf(quick: boolean): SweepSetting[] {
  const { mechanism, queries } = DEMO_PRESETS[quick ? 'default' : 'full'];
  return [0.25, 0.5, 2].map((f) => {
    const q = Math.round(queries * f);
    return { label: `${q} queries`, queries: q, mechanism };
  });
}

async function plotSvg(result: DemoResult): Promise<string> {
  const points = [
    { queries: result.queriesAsked, accuracy: result.studentAccuracy, basic: result.epsilonBasic },
    ...(result.sweep ?? []).map((p) => ({
      queries: p.queriesAsked,
      accuracy: p.studentAccuracy,
      basic: p.epsilonBasic,
    })),
  ].sort((a, b) => a.basic - b.basic);
  const improved = [
    { accuracy: result.studentAccuracy, epsilon: result.epsilonImproved, queries: result.queriesAsked },
    ...(result.sweep ?? []).map((p) => ({
      accuracy: p.studentAccuracy,
      epsilon: p.epsilonImproved,
      queries: p.queriesAsked,
    })),
  ];
  const values = [
    ...points.map((p) => ({
      series: 'Conclave, ε basic conversion',
      epsilon: p.basic,
      accuracy: p.accuracy,
      queries: p.queries,
    })),
    ...improved.map((p) => ({ series: 'Conclave, ε improved conversion', ...p })),
    ...ANCHORS.map((a) => ({ series: a.source, epsilon: a.epsilon, accuracy: a.accuracy, queries: null })),
  ];
  const spec: vegaLite.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `MNIST student accuracy against ε (δ=${result.delta}), ${result.teachers} teachers`,
    width: 520,
    height: 320,
    data: { values },
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epsilon', type: 'quantitative', title: 'ε (data-dependent, δ=1e-5)' },
          y: {
            field: 'accuracy',
            type: 'quantitative',
            title: 'student accuracy',
            scale: { zero: false },
            axis: { format: '.1%' },
          },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 1 } },
          tooltip: [{ field: 'queries' }, { field: 'epsilon' }, { field: 'accuracy' }],
        },
        transform: [{ filter: 'datum.queries !== null' }],
      },
      {
        mark: { type: 'point', shape: 'diamond', size: 120, filled: true },
        encoding: {
          x: { field: 'epsilon', type: 'quantitative' },
          y: { field: 'accuracy', type: 'quantitative' },
          color: { field: 'series', type: 'nominal' },
        },
        transform: [{ filter: 'datum.queries === null' }],
      },
    ],
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const options = parse();
  const size = options.quick ? 'default' : 'full';
  const command = [
    'npm run bench:pate-mnist',
    ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
  ].join(' ');
  const cpu = cpus();
  const machine = `${cpu[0]?.model.trim() ?? 'unknown CPU'} x${cpu.length}, ${round(totalmem() / 2 ** 30, 1)} GiB, ${osPlatform()} ${release()} ${arch()}, Node ${process.version}`;
  const loadStart = loadavg().map((x) => round(x, 2));
  const dataDir = mkdtempSync(join(tmpdir(), 'conclave-bench-pate-mnist-'));
  const t0 = performance.now();
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort(new Error('interrupted')));
  const { result, platform } = await runDemo({
    size,
    settings: DEMO_PRESETS[size],
    dataDir,
    ports: 'ephemeral',
    sweep: options.sweep ? sweepOf(options.quick) : undefined,
    signal: abort.signal,
  });
  await platform.stop();
  rmSync(dataDir, { recursive: true, force: true });
  const totalSec = round((performance.now() - t0) / 1000, 1);
  process.stdout.write(`${renderDemoTable(result)}\n`);
  for (const p of result.sweep ?? []) {
    process.stdout.write(
      `sweep ${p.label}: ${p.queriesAnswered} answered, ε basic ${p.epsilonBasic} / improved ${p.epsilonImproved}, student ${(100 * p.studentAccuracy).toFixed(1)} %\n`,
    );
  }

  if (options.docs) {
    writeFileSync(resolve(process.cwd(), PLOT), await plotSvg(result));
    const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)} %`);
    const goalMet = result.studentAccuracy >= 0.985 && result.epsilonBasic <= 1.97;
    const lines = [
      '<!-- bench:pate-mnist:start -->',
      '',
      '## Scalable PATE on MNIST — the reproduction',
      '',
      `Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}). Machine: ${machine}; load average at start ${loadStart.join(' ')}. Total ${totalSec} s.`,
      '',
      `Setting: ${result.teachers} CNN teachers (${result.teacherServices} hospital services × ${result.teachers / result.teacherServices}, 240 MNIST training images each), the student's pool the first 9,000 test images, evaluation on the last 1,000; ${result.mechanism}; δ = ${result.delta}.`,
      '',
      '| | this run | Scalable PATE (ICLR 2018), Table 2 |',
      '|---|---|---|',
      `| queries asked / answered | ${result.queriesAsked} / ${result.queriesAnswered} | 640 / 286 |`,
      `| ε, basic conversion (as the paper) | ${result.epsilonBasic} | 1.97 |`,
      `| ε, improved conversion (charged) | ${result.epsilonImproved} | — |`,
      `| ε, data-independent (publishable) bound | ${result.epsilonDataIndependent} | — |`,
      `| teacher-ensemble accuracy (plurality, asked queries) | ${pct(result.ensembleAccuracy)} | — |`,
      `| released labels correct | ${pct(result.answeredLabelAccuracy)} | — |`,
      `| student accuracy | ${pct(result.studentAccuracy)} | 98.5 % |`,
      `| non-private baseline | ${pct(result.baselineAccuracy)} (${result.baselineTrainRecords} images) | 99.2 % |`,
      '',
      `Goal (student ≥ 98.5 % at ε ≤ 1.97): ${goalMet ? 'met' : 'not met'}.`,
      '',
      `Time per step (s): ${Object.entries(result.steps)
        .map(([k, v]) => `${k.replace(/Sec$/, '')} ${v}`)
        .join(', ')}.`,
      '',
      ...(result.sweep?.length
        ? [
            'Sweep (same teachers, a fresh budget, job and student per setting):',
            '',
            '| queries asked | answered | ε basic | ε improved | student accuracy |',
            '|---|---|---|---|---|',
            `| ${result.queriesAsked} (main) | ${result.queriesAnswered} | ${result.epsilonBasic} | ${result.epsilonImproved} | ${pct(result.studentAccuracy)} |`,
            ...result.sweep.map(
              (p) =>
                `| ${p.queriesAsked} | ${p.queriesAnswered} | ${p.epsilonBasic} | ${p.epsilonImproved} | ${pct(p.studentAccuracy)} |`,
            ),
            '',
          ]
        : []),
      `![student accuracy against ε](${PLOT.replace(/^docs\//, '')})`,
      '',
      '<!-- bench:pate-mnist:end -->',
    ];
    writeBenchmarkSection('bench:pate-mnist', lines.join('\n'));
  }
  const { sweep, steps, ...fields } = result;
  process.stdout.write(`${JSON.stringify({ ...fields, steps, totalSec, sweep: sweep ?? [] })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:pate-mnist: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
