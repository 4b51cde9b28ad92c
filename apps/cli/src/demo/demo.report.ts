import Table from 'cli-table3';
import { formatPercent, type DemoResult } from './demo.runner.js';

/** Scalable PATE (Papernot et al., ICLR 2018), Table 2, MNIST: the values the full setting reproduces. */
export const PAPER_MNIST = {
  queriesAnswered: 286,
  epsilon: 1.97,
  studentAccuracy: 0.985,
  baselineAccuracy: 0.992,
};

const CONVERSION_NAMES: Record<string, string> = {
  improved: 'improved RDP→(ε,δ) conversion, Balle et al. 2020',
  basic: 'basic RDP→(ε,δ) conversion, Mironov 2017 Prop. 3',
};

/** The demo's result as a table for people (the same fields as the JSON line). */
export function renderDemoTable(r: DemoResult): string {
  const full = r.setting === 'full';
  const table = new Table({
    head: ['', 'this run', ...(full ? ['Scalable PATE, Table 2'] : [])],
    style: { head: [], border: [] },
  });
  const row = (label: string, value: string, paper?: string) =>
    table.push([label, value, ...(full ? [paper ?? ''] : [])]);
  row('teachers', `${r.teachers} (${r.teacherServices} hospitals × ${r.teachers / r.teacherServices})`, '250');
  row('mechanism', r.mechanism, 'Confident-GNMax (T=200, σ1=150, σ2=40)');
  row('queries asked', String(r.queriesAsked), '640');
  row('queries answered', String(r.queriesAnswered), String(PAPER_MNIST.queriesAnswered));
  row(
    `ε at δ=${r.delta} (charged)`,
    `${r.epsilon} — ${CONVERSION_NAMES[r.conversion] ?? r.conversion}`,
    full ? `${PAPER_MNIST.epsilon} (basic conversion)` : undefined,
  );
  row('ε, basic / improved conversion', `${r.epsilonBasic} / ${r.epsilonImproved}`);
  row('ε, data-independent bound', `${r.epsilonDataIndependent} (publishable; the charged ε is data-dependent)`);
  row('teacher-ensemble accuracy', `${formatPercent(r.ensembleAccuracy)} (plurality on the asked queries)`);
  if (r.answeredLabelAccuracy !== null) row('released labels correct', formatPercent(r.answeredLabelAccuracy));
  row(
    'student accuracy',
    `${formatPercent(r.studentAccuracy)} (held-out MNIST test images)`,
    formatPercent(PAPER_MNIST.studentAccuracy),
  );
  row(
    'non-private baseline',
    `${formatPercent(r.baselineAccuracy)} (trained on the ${r.baselineTrainRecords} teacher images)`,
    formatPercent(PAPER_MNIST.baselineAccuracy),
  );
  row('teachers discarded', `${r.teachersDiscarded} models deleted, audited`);
  row(
    'time per step (s)',
    Object.entries(r.steps)
      .map(([k, v]) => `${k.replace(/Sec$/, '')} ${v}`)
      .join(', '),
  );
  return table.toString();
}
