// Shared argument checks for RDP curves: every order must be a finite number > 1 (RDP is not defined at 1).

import { DpError } from '../errors/dp-error.js';

export type Orders = ArrayLike<number>;

export function assertOrders(orders: Orders, fn: string): void {
  if (orders.length === 0) throw new DpError('INVALID_ARGUMENT', `${fn}: orders must not be empty`);
  for (let i = 0; i < orders.length; i++) {
    const a = orders[i]!;
    if (!(a > 1) || !Number.isFinite(a))
      throw new DpError('INVALID_ARGUMENT', `${fn}: every order must be a finite number > 1, got ${a}`);
  }
}

export function assertPositive(x: number, name: string, fn: string): void {
  if (!(x > 0) || !Number.isFinite(x))
    throw new DpError('INVALID_ARGUMENT', `${fn}: ${name} must be a finite number > 0, got ${x}`);
}

export function assertVotes(votes: ArrayLike<number>, fn: string, minLength = 1): void {
  if (votes.length < minLength) throw new DpError('INVALID_ARGUMENT', `${fn}: need at least ${minLength} vote counts`);
  for (let i = 0; i < votes.length; i++) {
    if (!Number.isFinite(votes[i]!)) throw new DpError('INVALID_ARGUMENT', `${fn}: vote counts must be finite numbers`);
  }
}
