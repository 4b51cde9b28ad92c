import { describe, expect, it } from '@jest/globals';
import type { BudgetStatus } from '@conclave/guardian';
import type { ModelCardPrivacy } from '@conclave/ml';
import { cardPrivacy, publicModelCard } from './model-card.privacy.js';

const status: BudgetStatus = {
  id: 'b',
  name: 'b',
  epsilonLimit: 10,
  delta: 1e-5,
  conversion: 'improved',
  epsilonDataIndependent: 5.21,
  optimalOrderDataIndependent: 8,
  epsilonCharged: 1.37,
  epsilonRemaining: 8.63,
  ledgerEntries: 40,
};

describe('model card privacy', () => {
  it("states the charged ε as data-dependent, with the publishable bound next to it, when the ledger's analysis is", () => {
    expect(cardPrivacy(status, true)).toEqual({
      epsilon: 1.37,
      delta: 1e-5,
      conversion: 'improved',
      epsilonKind: 'data-dependent',
      epsilonDataIndependent: 5.21,
    });
    expect(cardPrivacy(status, false)).toEqual({
      epsilon: 5.21,
      delta: 1e-5,
      conversion: 'improved',
      epsilonKind: 'data-independent',
    });
  });

  it('shows non-operators the publishable ε only', () => {
    const privacy: ModelCardPrivacy = {
      epsilon: 1.37,
      delta: 1e-5,
      conversion: 'improved',
      epsilonKind: 'data-dependent',
      publishable: false,
      epsilonDataIndependent: 5.21,
    };
    const card = { privacy, evaluation: { accuracy: 0.9 } };
    const shown = publicModelCard(card);
    expect(shown.privacy).toEqual({
      epsilon: 5.21,
      delta: 1e-5,
      conversion: 'improved',
      epsilonKind: 'data-independent',
      publishable: true,
      epsilonDataIndependent: 5.21,
    });
    expect(JSON.stringify(shown)).not.toContain('1.37');
    expect(shown.evaluation).toEqual(card.evaluation);
    const publishable = {
      privacy: { ...privacy, epsilon: 5.21, epsilonKind: 'data-independent' as const, publishable: true },
    };
    expect(publicModelCard(publishable)).toBe(publishable);
  });
});
