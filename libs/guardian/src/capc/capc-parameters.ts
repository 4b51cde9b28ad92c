import { DomainError } from '@conclave/common';
import {
  heContextId,
  heParametersFromJson,
  isCryptoError,
  type HeParameters,
  type HeParametersJson,
} from '@conclave/crypto';

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

/**
 * The context id an HE envelope names (libs/crypto's wire format: "CNHE" | version | kind | form | primes | context
 * id (32 bytes) | …), or null when the bytes are no envelope. Lets the coordinator refuse an object of other
 * parameters before any teacher service is asked; the teacher services still check everything (libs/crypto).
 */
export function envelopeContextId(bytes: Uint8Array): string | null {
  const magic = [0x43, 0x4e, 0x48, 0x45];
  if (bytes.length < 48 || magic.some((m, i) => bytes[i] !== m)) return null;
  return Buffer.from(bytes.subarray(8, 40)).toString('hex');
}

/** The context id of a capc job's HE parameters (SHA-256 of the canonical parameters). */
export function capcContextId(json: unknown): string {
  return heContextId(capcHeParameters(json));
}
