import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CAPC_ORDERS, DPSGD_ORDERS, PATE_2018_ORDERS } from '../accountant/rdp-orders.js';
import { evaluateOracleCase, evaluateOracleFile, formatOracleSummary } from './oracle-evaluator.js';
import { formatFixed, formatGeneral, formatRepr } from './python-format.js';

const ORACLE_FILE = path.resolve(process.cwd(), '../shared/oracle/pate_reference_cases.json');

interface OracleFile {
  orders_lists: Record<string, number[]>;
  cases: { id: string; type: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }[];
}

const oracle = JSON.parse(readFileSync(ORACLE_FILE, 'utf8')) as OracleFile;

describe('oracle: shared reference cases', () => {
  it.each(oracle.cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const r = evaluateOracleCase(c);
    expect(r.mismatches).toEqual([]);
    expect(r.status).toBe('passed');
  });

  it('summarises the whole file as the CLI does', () => {
    const report = evaluateOracleFile(oracle);
    expect(formatOracleSummary(report)).toBe(`oracle: ${oracle.cases.length} passed, 0 failed, 0 unsupported`);
  });
});

describe('stored order lists', () => {
  it('are exactly the reference lists (values and order)', () => {
    expect(PATE_2018_ORDERS).toEqual(oracle.orders_lists['pate2018_long']);
    expect(CAPC_ORDERS).toEqual(oracle.orders_lists['capc']);
    expect(DPSGD_ORDERS).toEqual(oracle.orders_lists['tfp_dpsgd']);
  });
});

describe('oracle: the checker itself', () => {
  const base = oracle.cases.find((c) => c.type === 'gaussian_composed')!;

  it('fails a case whose expected value is off by more than the tolerance', () => {
    const eps = base.outputs['eps_basic'] as number;
    const r = evaluateOracleCase({ ...base, outputs: { ...base.outputs, eps_basic: eps * (1 + 1e-7) } });
    expect(r.status).toBe('failed');
    expect(r.mismatches.map((m) => m.field)).toEqual(['eps_basic']);
  });

  it('compares orders exactly', () => {
    const r = evaluateOracleCase({
      ...base,
      outputs: { order_opt_basic: (base.outputs['order_opt_basic'] as number) + 1e-12 },
    });
    expect(r.status).toBe('failed');
  });

  it('reports unknown case types and unknown fields as unsupported', () => {
    expect(evaluateOracleCase({ id: 'x', type: 'mystery', inputs: {}, outputs: {} }).status).toBe('unsupported');
    expect(evaluateOracleCase({ ...base, outputs: { some_new_field: 1 } }).status).toBe('unsupported');
  });

  it('counts a case whose evaluation throws as failed', () => {
    expect(evaluateOracleCase({ ...base, inputs: { ...base.inputs, sigma: 'Infinity?' } }).status).toBe('failed');
  });
});

describe('Python float formatting', () => {
  it('formats like str.format', () => {
    expect(formatFixed(0.125, 2)).toBe('0.12'); // exact tie: half to even
    expect(formatFixed(0.375, 2)).toBe('0.38');
    expect(formatFixed(2.675, 2)).toBe('2.67'); // binary value is below the tie
    expect(formatFixed(19.2499, 1)).toBe('19.2');
    expect(formatFixed(-0.0001, 3)).toBe('-0.000');
    expect(formatFixed(0.0006, 3)).toBe('0.001');
    expect(formatGeneral(0.0032627749153822314, 4, true)).toBe('0.003263');
    expect(formatGeneral(3.2627749e-5, 4, true)).toBe('3.263e-05');
    expect(formatGeneral(1234.0, 4, true)).toBe('1234.0');
    expect(formatGeneral(12345.0, 4, true)).toBe('1.234e+04');
    expect(formatRepr(14)).toBe('14.0');
    expect(formatRepr(1e-5)).toBe('1e-05');
    expect(formatRepr(499.99999999999994)).toBe('499.99999999999994');
    expect(formatRepr(1e16)).toBe('1e+16');
  });
});
