// libs/crypto: confidential mode's cryptography (CaPC, Choquette-Choo et al., ICLR 2021). See README.md.
export { CryptoError, isCryptoError, type CryptoErrorCode } from './errors/crypto-error.js';

// Randomness: the one seam (node:crypto by default, seeded for tests and the dealer's compressed output).
export type { Rng } from './rng/rng.js';
export { CryptoRng } from './rng/crypto-rng.js';
export { SeededRng, type RngSeed } from './rng/seeded-rng.js';

// The ring Z_p (p = the BFV plain modulus t) and additive secret sharing.
export { PrimeField } from './ring/prime-field.js';
export { reconstructVector, shareVector, sumShareVectors } from './ring/additive-sharing.js';

// Dealer-assisted two-party secure argmax over shares (Beaver triples), as message-driven state machines.
export { argmaxPlan, MAX_ARGMAX_CLASSES, type ArgmaxPlan } from './mpc/argmax-plan.js';
export {
  ArgmaxCorrelation,
  dealArgmaxCorrelation,
  dealArgmaxCorrelationHalf,
  type ArgmaxCorrelationData,
  type DealArgmaxOptions,
  type PartyIndex,
} from './mpc/argmax-correlation.js';
export { ARGMAX_MESSAGE_HEADER_BYTES } from './mpc/argmax-message.js';
export {
  ArgmaxParty,
  runArgmaxInMemory,
  type ArgmaxPartyOptions,
  type ArgmaxStats,
  type ArgmaxStep,
} from './mpc/argmax-party.js';
export { InMemoryCorrelationLedger, type CorrelationLedger } from './mpc/correlation-ledger.js';
export {
  argmaxCorrelationBytes,
  CORRELATION_BATCH_FRAME_HEADER_BYTES,
  CORRELATION_BATCH_HEADER_BYTES,
  correlationBatchBytes,
  decodeCorrelationBatch,
  encodeCorrelationBatch,
  encodeCorrelationBatchFrame,
  encodeCorrelationBatchHeader,
  type CorrelationShape,
} from './mpc/correlation-batch.js';

// Homomorphic encryption (Microsoft SEAL 4.1 via node-seal 6.0.3).
export {
  BFV_4096,
  BFV_8192,
  CKKS_16384,
  CKKS_8192,
  decodeHeParameters,
  encodeHeParameters,
  heContextId,
  heParametersFromJson,
  heParametersToJson,
  validateHeParameters,
  type HeParameters,
  type HeParametersJson,
  type HeScheme,
} from './he/he-parameters.js';
export { SealRuntime, loadSealRuntime } from './he/seal-runtime.js';
export { HeContext } from './he/he-context.js';
export { HeKeyPair, HePublicKey } from './he/he-keys.js';
export {
  BfvLinearClient,
  BfvLinearTeacher,
  BfvResponseMask,
  linearLogits,
  logitCoefficient,
  maxAbsLogit,
  maxQueriesPerCiphertext,
  quantize,
  queryStride,
  reconstructLogits,
  scatterPackedShare,
  type BfvTeacherOptions,
  type BfvTeacherResponse,
  type LinearHeadShape,
  type QuantizedLinearHead,
} from './he/bfv-linear.js';
export { HeEvaluationKeys, type EvaluationKeyBytes, type EvaluationKeyRequest } from './he/he-keys.js';
export {
  CKKS_SCALE,
  CkksMlpClient,
  CkksMlpTeacher,
  ckksGaloisSteps,
  ckksMlpLogits,
  ckksMlpShape,
  ckksPackingWidth,
  type CkksDenseLayer,
  type CkksMlp,
  type CkksMlpShape,
  type CkksShareOptions,
} from './he/ckks-mlp.js';
