import type { BudgetStatus } from '@conclave/guardian';
import type { ModelCard, ModelCardPrivacy } from '@conclave/ml';

/** The privacy a model card states, as buildModelCard takes it. */
export interface CardPrivacyInput {
  epsilon: number;
  delta: number;
  conversion: string;
  epsilonKind: 'data-dependent' | 'data-independent';
  epsilonDataIndependent?: number;
}

/**
 * The privacy of a student's labels from its budget's status (PrivacyBudgetService.status, the figures the api
 * shows): the ε charged to the budget by every release up to now — this job's labels and any other job's on the
 * same budget. When a ledger event is data-dependent, that ε is a function of the teachers' votes and is not
 * publishable (Scalable PATE, section 4.3); the data-independent bound is given next to it.
 */
export function cardPrivacy(status: BudgetStatus, dataDependent: boolean): CardPrivacyInput {
  return dataDependent
    ? {
        epsilon: status.epsilonCharged,
        delta: status.delta,
        conversion: status.conversion,
        epsilonKind: 'data-dependent',
        epsilonDataIndependent: status.epsilonDataIndependent,
      }
    : {
        epsilon: status.epsilonDataIndependent,
        delta: status.delta,
        conversion: status.conversion,
        epsilonKind: 'data-independent',
      };
}

/** A card whose evaluation may be missing (no evaluation dataset was given). */
export type StudentModelCard = Omit<ModelCard, 'evaluation'> & {
  evaluation: { accuracy: number | null; records: number };
};

/**
 * The card as anyone but an operator sees it: a data-dependent ε is replaced by its publishable data-independent
 * bound (as the api shows budgets to querying parties), and the card says so.
 */
export function publicModelCard<T extends { privacy: ModelCardPrivacy }>(card: T): T {
  const privacy = card.privacy;
  if (privacy.publishable) return card;
  if (privacy.epsilonDataIndependent === undefined) {
    throw new Error('a data-dependent ε without its data-independent bound cannot be shown');
  }
  return {
    ...card,
    privacy: {
      epsilon: privacy.epsilonDataIndependent,
      delta: privacy.delta,
      conversion: privacy.conversion,
      epsilonKind: 'data-independent',
      publishable: true,
      epsilonDataIndependent: privacy.epsilonDataIndependent,
    },
  };
}
