import type { DpEvent } from '../events/dp-event.js';
import type { Rng } from '../rng/rng.js';

/**
 * A mechanism is a function plus its privacy map (OpenDP): `run` draws the noisy release from the Rng seam,
 * `event` describes what that release costs as a DpEvent an accountant can charge and a ledger can store.
 * `event` takes the run's outcome too, for mechanisms whose cost depends on what happened (realised charging).
 */
export interface Mechanism<Input, Output> {
  run(input: Input, rng: Rng): Output;
  event(input: Input, outcome?: Output): DpEvent;
}

/**
 * How a vote-based mechanism asks to be charged: 'dataDependent' puts the votes in the event so the accountant can
 * use Scalable PATE's data-dependent bound where its preconditions hold (it always takes the min with the
 * data-independent bound); 'dataIndependent' charges the data-independent bound only.
 */
export type VoteAccounting = 'dataDependent' | 'dataIndependent';
