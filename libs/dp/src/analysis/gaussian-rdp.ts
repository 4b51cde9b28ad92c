// RDP of the plain additive-noise mechanisms (Mironov 2017, "Renyi Differential Privacy", Table II).

import { assertOrders, assertPositive, type Orders } from './rdp-orders-check.js';

/** Gaussian mechanism: alpha * Delta^2 / (2 sigma^2) (Mironov 2017 Prop 7; rdp_accountant.compute_rdp with q = 1). */
export function rdpGaussianMechanism(sigma: number, orders: Orders, sensitivity = 1): Float64Array {
  assertOrders(orders, 'rdpGaussianMechanism');
  assertPositive(sigma, 'sigma', 'rdpGaussianMechanism');
  assertPositive(sensitivity, 'sensitivity', 'rdpGaussianMechanism');
  const z = sigma / sensitivity;
  const out = new Float64Array(orders.length);
  for (let i = 0; i < orders.length; i++) out[i] = orders[i]! / (2 * z ** 2);
  return out;
}

/**
 * Laplace mechanism of scale b on a sensitivity-Delta query, lambda = b / Delta (Mironov 2017 Prop 6):
 * (1/(alpha-1)) log( alpha/(2alpha-1) e^{(alpha-1)/lambda} + (alpha-1)/(2alpha-1) e^{-alpha/lambda} ), at most the
 * pure-DP 1/lambda.
 */
export function rdpLaplaceMechanism(scale: number, orders: Orders, sensitivity = 1): Float64Array {
  assertOrders(orders, 'rdpLaplaceMechanism');
  assertPositive(scale, 'scale', 'rdpLaplaceMechanism');
  assertPositive(sensitivity, 'sensitivity', 'rdpLaplaceMechanism');
  const lambda = scale / sensitivity;
  const out = new Float64Array(orders.length);
  for (let i = 0; i < orders.length; i++) {
    const a = orders[i]!;
    const u = Math.log(a / (2 * a - 1)) + (a - 1) / lambda;
    const v = Math.log((a - 1) / (2 * a - 1)) - a / lambda;
    const logS = u > v ? u + Math.log1p(Math.exp(v - u)) : v + Math.log1p(Math.exp(u - v));
    out[i] = Math.min(logS / (a - 1), 1 / lambda);
  }
  return out;
}
