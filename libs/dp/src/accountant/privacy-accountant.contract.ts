// Shared contract suite for every PrivacyAccountant (google/differential-privacy style). A spec file passes in the
// test runner's describe/it, so this file stays free of test-framework imports (libs/dp is import-pure).
import { isDpError } from '../errors/dp-error.js';
import type { DpEvent } from '../events/dp-event.js';
import type { PrivacyAccountant } from './privacy-accountant.js';

export interface ContractRunner {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => void): void;
}

class ContractViolation extends Error {}

function check(condition: boolean, message: string): void {
  if (!condition) throw new ContractViolation(message);
}

function errorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isDpError(e) ? e.code : 'not a DpError';
  }
  return undefined;
}

export function describePrivacyAccountantContract(
  name: string,
  create: () => PrivacyAccountant,
  runner: ContractRunner,
): void {
  const { describe, it } = runner;
  describe(`PrivacyAccountant contract: ${name}`, () => {
    const gaussian: DpEvent = { kind: 'gaussian', sigma: 5 };

    it('reports epsilon 0 and delta 0 with no events', () => {
      const acc = create();
      check(acc.getEpsilon(1e-5).epsilon === 0, 'epsilon of nothing must be 0');
      check(acc.getDelta(0.5).delta === 0, 'delta of nothing must be 0');
    });

    it('reports epsilon 0 after noop events', () => {
      check(create().compose({ kind: 'noop' }, 10).getEpsilon(1e-5).epsilon === 0, 'noop must cost nothing');
    });

    it('reports Infinity after a non-private event', () => {
      const acc = create().compose(gaussian).compose({ kind: 'nonPrivate' });
      check(acc.getEpsilon(1e-5).epsilon === Infinity, 'non-private must give epsilon = Infinity');
      check(acc.getDelta(100).delta === 1, 'non-private must give delta = 1');
    });

    it('refuses unknown kinds without changing state', () => {
      const acc = create().compose(gaussian);
      const before = acc.getEpsilon(1e-5).epsilon;
      check(!acc.supports({ kind: 'exponential' }), 'unknown kinds are not supported');
      const code = errorCode(() => acc.compose({ kind: 'exponential' } as unknown as DpEvent));
      check(code === 'UNSUPPORTED_EVENT', `unknown kinds must throw UNSUPPORTED_EVENT, got ${code}`);
      check(acc.getEpsilon(1e-5).epsilon === before, 'a refused event must not change state');
    });

    it('refuses malformed events (also nested) without changing state', () => {
      const acc = create().compose(gaussian);
      const before = acc.getEpsilon(1e-5).epsilon;
      const bad = { kind: 'composed', events: [gaussian, { kind: 'gaussian', sigma: -1 }] } as unknown as DpEvent;
      check(!acc.supports(bad), 'malformed events are not supported');
      check(errorCode(() => acc.compose(bad)) === 'INVALID_ARGUMENT', 'malformed events must throw INVALID_ARGUMENT');
      check(errorCode(() => acc.compose(gaussian, -1)) === 'INVALID_ARGUMENT', 'a negative count must be refused');
      check(acc.getEpsilon(1e-5).epsilon === before, 'a refused event must not change state');
    });

    it('supports the events it composes', () => {
      check(create().supports(gaussian), 'gaussian events must be supported');
    });

    it('compose(e, k) equals k times compose(e)', () => {
      const a = create().compose(gaussian, 7).getEpsilon(1e-6).epsilon;
      const accB = create();
      for (let i = 0; i < 7; i++) accB.compose(gaussian);
      const b = accB.getEpsilon(1e-6).epsilon;
      check(Math.abs(a - b) <= 1e-12 * b, `compose(e, 7) = ${a} but 7 x compose(e) = ${b}`);
    });

    it('getDelta and getEpsilon are consistent', () => {
      for (const conversion of ['basic', 'improved'] as const) {
        const acc = create().compose(gaussian, 20);
        const { epsilon } = acc.getEpsilon(1e-6, conversion);
        check(epsilon > 0, 'a Gaussian release has a positive epsilon');
        const { delta } = acc.getDelta(epsilon, conversion);
        check(
          delta <= 1e-6 * (1 + 1e-9) && delta > 1e-6 * 0.999,
          `${conversion}: getDelta(getEpsilon(1e-6)) = ${delta}`,
        );
        check(acc.getDelta(epsilon * 1.5, conversion).delta <= delta, 'a larger epsilon never needs a larger delta');
      }
    });

    it('epsilon grows with the number of queries', () => {
      let prev = 0;
      const acc = create();
      for (let k = 0; k < 6; k++) {
        acc.compose({ kind: 'gnmaxDataIndependent', sigma: 40 }, 50);
        const eps = acc.getEpsilon(1e-5).epsilon;
        check(eps > prev, `epsilon must grow with queries (${eps} after ${prev})`);
        prev = eps;
      }
    });

    it('epsilon falls as sigma grows', () => {
      let prev = Infinity;
      for (const sigma of [5, 10, 20, 40, 80, 160]) {
        const eps = create().compose({ kind: 'gnmaxDataIndependent', sigma }, 100).getEpsilon(1e-5).epsilon;
        check(eps < prev, `epsilon must fall as sigma grows (sigma ${sigma}: ${eps} vs ${prev})`);
        prev = eps;
      }
    });
  });
}
