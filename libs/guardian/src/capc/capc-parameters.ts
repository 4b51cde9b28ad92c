import { DomainError } from '@conclave/common';
import { heParametersFromJson, isCryptoError, type HeParameters, type HeParametersJson } from '@conclave/crypto';

/** Validates a capc job's HE parameters: BFV (linear heads) with a plain modulus that fits the share ring (< 2^32). */
export function capcHeParameters(json: unknown): HeParameters {
  let params: HeParameters;
  try {
    params = heParametersFromJson(json as HeParametersJson);
  } catch (error) {
    if (isCryptoError(error)) throw new DomainError('INVALID_HE_PARAMETERS', 'Invalid HE parameters');
    throw error;
  }
  if (params.scheme !== 'bfv' || params.plainModulus === undefined || params.plainModulus >= 2n ** 32n) {
    throw new DomainError('INVALID_HE_PARAMETERS', 'capc jobs take BFV parameters with a plain modulus below 2^32');
  }
  return params;
}

/** The share ring's modulus p (= the BFV plain modulus t). */
export function capcModulus(json: unknown): number {
  return Number(capcHeParameters(json).plainModulus);
}
