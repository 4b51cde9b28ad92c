// The RDP curve of each DpEvent kind over a stored list of orders: the privacy maps of the mechanisms, gathered in
// one place so that a ledger of stored events can be re-accounted later.

import { addRdpConfidentGnmaxQuery, type ThresholdCurveSource } from '../analysis/confident-gnmax-analysis.js';
import { addRdpGaussian, computeLogqGaussian, type GnmaxTailCache } from '../analysis/gnmax-analysis.js';
import { rdpGaussianMechanism, rdpLaplaceMechanism } from '../analysis/gaussian-rdp.js';
import { computeLogqLaplace, rdpPureEps } from '../analysis/lnmax-analysis.js';
import { addRdpMultiLabelGnmax } from '../analysis/multi-label-analysis.js';
import type { Orders } from '../analysis/rdp-orders-check.js';
import { rdpSubsampledGaussianAt } from '../analysis/subsampled-gaussian-rdp.js';
import { addRdpThreshold, computeLogprAnswered, roundedMaxVote } from '../analysis/threshold-analysis.js';
import type { DpEvent } from '../events/dp-event.js';

/** Memoised pieces an accountant may supply: threshold-step curves and GNMax tail probabilities. */
export interface EventRdpCaches {
  readonly thresholdCurves?: ThresholdCurveSource;
  readonly gnmaxTails?: (sigma: number) => GnmaxTailCache;
}

function addCurve(out: Float64Array, curve: ArrayLike<number>, weight: number): void {
  for (let i = 0; i < out.length; i++) out[i] = out[i]! + weight * curve[i]!;
}

/**
 * Adds weight * RDP(event) at every order into out. The event must already be validated. weight > 0.
 * Non-private events add Infinity. The optional caches return results identical to a fresh computation.
 */
export function addEventRdp(
  event: DpEvent,
  orders: Orders,
  out: Float64Array,
  weight = 1,
  caches: EventRdpCaches = {},
): void {
  const { thresholdCurves, gnmaxTails } = caches;
  if (weight === 0) return;
  switch (event.kind) {
    case 'noop':
      return;
    case 'nonPrivate':
      out.fill(Infinity);
      return;
    case 'gaussian':
      addCurve(out, rdpGaussianMechanism(event.sigma, orders, event.sensitivity ?? 1), weight);
      return;
    case 'laplace':
      addCurve(out, rdpLaplaceMechanism(event.scale, orders, event.sensitivity ?? 1), weight);
      return;
    case 'poissonSubsampledGaussian':
      for (let i = 0; i < orders.length; i++) {
        out[i] =
          out[i]! + weight * rdpSubsampledGaussianAt(event.samplingProbability, event.noiseMultiplier, orders[i]!);
      }
      return;
    case 'gnmaxDataIndependent': {
      const v = event.sigma ** 2;
      for (let i = 0; i < orders.length; i++) out[i] = out[i]! + weight * (orders[i]! / v);
      return;
    }
    case 'gnmaxDataDependent': {
      const tails = gnmaxTails?.(event.sigma);
      const logq =
        event.votes === undefined
          ? event.logq!
          : tails !== undefined
            ? tails.logq(event.votes)
            : computeLogqGaussian(event.votes, event.sigma);
      addRdpGaussian(logq, event.sigma, orders, out, weight);
      return;
    }
    case 'pateThreshold': {
      if (event.votes === undefined) {
        const v = 2 * event.sigma1 ** 2;
        for (let i = 0; i < orders.length; i++) out[i] = out[i]! + weight * (orders[i]! / v);
        return;
      }
      if (thresholdCurves !== undefined) {
        addCurve(
          out,
          thresholdCurves(event.threshold, event.sigma1, roundedMaxVote(event.votes, event.baseline)).rdp,
          weight,
        );
        return;
      }
      addRdpThreshold(
        computeLogprAnswered(event.threshold, event.sigma1, event.votes, event.baseline),
        event.sigma1,
        orders,
        out,
        weight,
      );
      return;
    }
    case 'confidentGnmax':
      addRdpConfidentGnmaxQuery(event, orders, out, weight, thresholdCurves, gnmaxTails?.(event.sigma2));
      return;
    case 'lnmax': {
      const logq = event.votes !== undefined ? computeLogqLaplace(event.votes, 1 / event.gamma) : 0;
      addCurve(out, rdpPureEps(logq, 2 * event.gamma, orders), weight);
      return;
    }
    case 'multiLabelGnmax':
      addRdpMultiLabelGnmax(event, orders, out, event.dataDependent === true, weight);
      return;
    case 'composed':
      for (const e of event.events) addEventRdp(e, orders, out, weight, caches);
      return;
    case 'selfComposed':
      if (event.count > 0) addEventRdp(event.event, orders, out, weight * event.count, caches);
      return;
  }
}
