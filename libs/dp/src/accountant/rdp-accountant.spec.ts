import { describe, expect, it } from '@jest/globals';
import { computeLogqGaussian, rdpGaussian } from '../analysis/gnmax-analysis.js';
import type { DpEvent } from '../events/dp-event.js';
import { describePrivacyAccountantContract } from './privacy-accountant.contract.js';
import { RdpAccountant } from './rdp-accountant.js';
import { epsilonFromRdp, roundEpsilonUp } from './rdp-conversion.js';
import { CAPC_ORDERS, DPSGD_ORDERS, PATE_2018_ORDERS } from './rdp-orders.js';

describePrivacyAccountantContract('RdpAccountant (PATE orders, basic)', () => new RdpAccountant(), { describe, it });
describePrivacyAccountantContract(
  'RdpAccountant (DP-SGD orders, improved)',
  () => new RdpAccountant({ orders: DPSGD_ORDERS, defaultConversion: 'improved' }),
  { describe, it },
);

describe('stored order lists', () => {
  it('keeps the Scalable PATE list exactly, unsorted', () => {
    expect(PATE_2018_ORDERS).toHaveLength(298);
    expect(PATE_2018_ORDERS[0]).toBe(2);
    expect(PATE_2018_ORDERS.slice(196, 199)).toEqual([100, 100.5, 100]);
    expect(PATE_2018_ORDERS[297]).toBe(499.99999999999994);
    expect(CAPC_ORDERS).toHaveLength(396);
    expect(DPSGD_ORDERS).toHaveLength(72);
  });
});

describe('RdpAccountant', () => {
  it('defaults to the PATE orders and says which conversion produced epsilon', () => {
    const acc = new RdpAccountant().compose({ kind: 'gnmaxDataIndependent', sigma: 40 }, 100);
    expect(acc.orders).toHaveLength(298);
    const basic = acc.getEpsilon(1e-5);
    const improved = acc.getEpsilon(1e-5, 'improved');
    expect(basic.conversion).toBe('basic');
    expect(improved.conversion).toBe('improved');
    expect(improved.epsilon).toBeLessThan(basic.epsilon);
    expect(basic.orderAtEdge).toBeNull();
  });

  it('flags an optimal order at either end of the list', () => {
    const high = new RdpAccountant().compose({ kind: 'gnmaxDataIndependent', sigma: 1e4 }).getEpsilon(1e-5);
    expect(high.order).toBe(Math.max(...PATE_2018_ORDERS));
    expect(high.orderAtEdge).toBe('high');
    const low = new RdpAccountant().compose({ kind: 'gnmaxDataIndependent', sigma: 1 }, 1000).getEpsilon(1e-5);
    expect(low.order).toBe(2);
    expect(low.orderAtEdge).toBe('low');
  });

  it('charges data-dependent GNMax as rdp_gaussian(logq)', () => {
    const votes = [230, 10, 10];
    const acc = new RdpAccountant().compose({ kind: 'gnmaxDataDependent', sigma: 40, votes });
    const expected = rdpGaussian(computeLogqGaussian(votes, 40), 40, PATE_2018_ORDERS);
    expect(Array.from(acc.rdp())).toEqual(Array.from(expected));
  });

  it('realised Confident-GNMax charges GNMax only when answered', () => {
    const base = {
      kind: 'confidentGnmax',
      sigma1: 150,
      sigma2: 40,
      threshold: 200,
      votes: [240, 5, 5],
      charging: 'realised',
    } as const;
    const refused = new RdpAccountant().compose({ ...base, answered: false });
    const answered = new RdpAccountant().compose({ ...base, answered: true });
    const thresholdOnly = new RdpAccountant().compose({
      kind: 'pateThreshold',
      sigma1: 150,
      threshold: 200,
      votes: [240, 5, 5],
    });
    expect(Array.from(refused.rdp())).toEqual(Array.from(thresholdOnly.rdp()));
    expect(answered.getEpsilon(1e-5).epsilon).toBeGreaterThan(refused.getEpsilon(1e-5).epsilon);
    const expected = new RdpAccountant().compose({ ...base, charging: 'expected' });
    expect(expected.getEpsilon(1e-5).epsilon).toBeLessThan(answered.getEpsilon(1e-5).epsilon);
    expect(expected.getEpsilon(1e-5).epsilon).toBeGreaterThan(refused.getEpsilon(1e-5).epsilon);
  });

  it('never charges less than the data-independent bound would allow it to skip', () => {
    // Data-dependent cost is at most the data-independent one (min where Thm 6 applies).
    const dd = new RdpAccountant().compose({ kind: 'gnmaxDataDependent', sigma: 20, votes: [125, 125] }).rdp();
    const di = new RdpAccountant().compose({ kind: 'gnmaxDataIndependent', sigma: 20 }).rdp();
    dd.forEach((r, i) => expect(r).toBeLessThanOrEqual(di[i]!));
    // A tie gives no data-dependent saving at all.
    expect(Array.from(dd)).toEqual(Array.from(di));
  });

  it('prospectiveEpsilon does not change state', () => {
    const acc = new RdpAccountant().compose({ kind: 'gaussian', sigma: 3 }, 10);
    const before = acc.getEpsilon(1e-5).epsilon;
    const next = acc.prospectiveEpsilon({ kind: 'gaussian', sigma: 3 }, 1e-5, 10);
    expect(next.epsilon).toBeGreaterThan(before);
    expect(acc.getEpsilon(1e-5).epsilon).toBe(before);
    acc.compose({ kind: 'gaussian', sigma: 3 }, 10);
    expect(acc.getEpsilon(1e-5).epsilon).toBeCloseTo(next.epsilon, 12);
  });

  it('accounts composed and self-composed events like their parts', () => {
    const parts: DpEvent[] = [
      { kind: 'gaussian', sigma: 2 },
      { kind: 'laplace', scale: 3 },
      { kind: 'lnmax', gamma: 0.05, votes: [200, 30, 20] },
      { kind: 'multiLabelGnmax', sigma: 10, numTeachers: 50, positives: [48, 1, 30], dataDependent: true },
      { kind: 'poissonSubsampledGaussian', samplingProbability: 0.01, noiseMultiplier: 1.1 },
    ];
    const a = new RdpAccountant().compose({
      kind: 'selfComposed',
      event: { kind: 'composed', events: parts },
      count: 3,
    });
    const b = new RdpAccountant();
    for (const p of parts) b.compose(p, 3);
    a.rdp().forEach((r, i) => expect(r).toBeCloseTo(b.rdp()[i]!, 12));
  });

  it('rejects orders <= 1', () => {
    expect(() => new RdpAccountant({ orders: [1, 2] })).toThrow();
  });
});

describe('RDP conversions', () => {
  const orders = [2, 4, 8, 16, 32];
  const rdp = [0.1, 0.2, 0.4, 0.8, 1.6];

  it('basic: min_a rdp_a + ln(1/delta)/(a-1), first argmin', () => {
    const r = epsilonFromRdp(orders, rdp, 1e-5, 'basic');
    const each = orders.map((a, i) => rdp[i]! + Math.log(1e5) / (a - 1));
    expect(r.value).toBe(Math.min(...each));
    expect(r.order).toBe(orders[each.indexOf(Math.min(...each))]);
    expect(epsilonFromRdp([2, 2], [0.5, 0.5], 1e-5, 'basic').index).toBe(0);
  });

  it('improved: CKS 2020 Prop 12, never above basic, 0 when the KL branch applies', () => {
    const basic = epsilonFromRdp(orders, rdp, 1e-5, 'basic').value;
    const improved = epsilonFromRdp(orders, rdp, 1e-5, 'improved');
    const a = improved.order;
    const r = rdp[orders.indexOf(a)]!;
    expect(improved.value).toBeCloseTo(r + Math.log1p(-1 / a) - Math.log(1e-5 * a) / (a - 1), 14);
    expect(improved.value).toBeLessThan(basic);
    expect(epsilonFromRdp([2, 3], [1e-12, 2e-12], 0.1, 'improved').value).toBe(0);
    expect(epsilonFromRdp([1.005], [0.1], 1e-5, 'improved').value).toBe(Infinity);
  });
});

describe('roundEpsilonUp', () => {
  it('never shows less than the computed epsilon', () => {
    expect(roundEpsilonUp(0.29)).toBe(0.29);
    expect(roundEpsilonUp(1.2301)).toBe(1.24);
    expect(roundEpsilonUp(2.000000001, 3)).toBe(2.001);
    expect(roundEpsilonUp(Infinity)).toBe(Infinity);
    for (let i = 1; i < 2000; i++) {
      const eps = i * 0.00731;
      expect(roundEpsilonUp(eps, 2)).toBeGreaterThanOrEqual(eps);
    }
  });
});
