export {};
export type {
  DpEvent,
  DpEventKind,
  DpEventErrorCode,
  NoopDpEvent,
  NonPrivateDpEvent,
  GaussianDpEvent,
  LaplaceDpEvent,
  PoissonSubsampledGaussianDpEvent,
  GnmaxDataIndependentDpEvent,
  GnmaxDataDependentDpEvent,
  PateThresholdDpEvent,
  ConfidentGnmaxDpEvent,
  LnmaxDpEvent,
  MultiLabelGnmaxDpEvent,
  ComposedDpEvent,
  SelfComposedDpEvent,
} from './events/dp-event.js';
export { DP_EVENT_KINDS, DpEventError, validateDpEvent, isDpEvent } from './events/dp-event.js';
export { logAddExp, logSubExp, log1mexp, logSumExp } from './numerics/log-math.js';
export { erfc, erfcinv, erfcinvFromLog, logErfc, logNdtr, logsf } from './numerics/normal-tail.js';
export { brentRoot } from './numerics/brent-root.js';
export type { BrentOptions } from './numerics/brent-root.js';
export { roundHalfEven } from './numerics/python-rounding.js';
export type { Orders } from './analysis/rdp-orders-check.js';
export {
  argmaxFirst,
  computeLogqGaussian,
  GnmaxTailCache,
  rdpDataIndependentGaussian,
  rdpGaussian,
  rdpGaussianDetails,
  addRdpGaussian,
  gnmaxThm6Parameters,
  isDataIndependentAlwaysOptGaussian,
} from './analysis/gnmax-analysis.js';
export type { GnmaxThm6Parameters, RdpGaussianDetails } from './analysis/gnmax-analysis.js';
export {
  computeLogprAnswered,
  logprAnsweredFromRoundedMax,
  roundedMaxVote,
  thresholdLogq,
  rdpThreshold,
  rdpDataIndependentThreshold,
  addRdpThreshold,
  isDataIndependentAlwaysOptThreshold,
} from './analysis/threshold-analysis.js';
export {
  analyzeConfidentGnmaxSequence,
  addRdpConfidentGnmaxQuery,
  ThresholdCurveCache,
} from './analysis/confident-gnmax-analysis.js';
export type {
  ConfidentGnmaxParameters,
  ConfidentGnmaxQuery,
  ConfidentGnmaxSequenceAnalysis,
  ConfidentGnmaxSequenceInput,
} from './analysis/confident-gnmax-analysis.js';
export {
  computeQNoisyMax,
  logmgfExact,
  logmgfFromCounts,
  lnmaxTotalLogmgf,
  momentsAccountantEps,
  computeLogqLaplace,
  rdpPureEps,
} from './analysis/lnmax-analysis.js';
export type { MomentsAccountantResult } from './analysis/lnmax-analysis.js';
export { rdpGaussianMechanism, rdpLaplaceMechanism } from './analysis/gaussian-rdp.js';
export { rdpSubsampledGaussian, rdpSubsampledGaussianAt } from './analysis/subsampled-gaussian-rdp.js';
export {
  computeLogq0Gnmax,
  computeLogq1Gnmax,
  localSensitivityGnmax,
  localSensitivityBoundsGnmax,
  localSensitivityBoundsThreshold,
  computeDiscountedMax,
  rdpSmoothSensitivityGaussian,
  smoothSensitivityBetaGrid,
  findOptimalSmoothSensitivityParameters,
  checkSmoothSensitivityConditions,
} from './analysis/smooth-sensitivity-analysis.js';
export type {
  SmoothSensitivityRelease,
  SmoothSensitivityReleaseInput,
} from './analysis/smooth-sensitivity-analysis.js';
export { pate2017SensAtK, pate2017SmoothedSens } from './analysis/pate2017-smooth-sensitivity.js';
export {
  computeLogqMultiLabel,
  rdpMultiLabelGnmax,
  multiLabelEffectiveLabels,
  multiLabelEquivalentSigma,
} from './analysis/multi-label-analysis.js';
export type { MultiLabelVotes } from './analysis/multi-label-analysis.js';
export { PATE_2018_ORDERS, CAPC_ORDERS, DPSGD_ORDERS } from './accountant/rdp-orders.js';
export { epsilonFromRdp, deltaFromRdp, roundEpsilonUp } from './accountant/rdp-conversion.js';
export type { RdpConversion, ConversionResult } from './accountant/rdp-conversion.js';
export type { PrivacyAccountant, EpsilonReport, DeltaReport } from './accountant/privacy-accountant.js';
export { RdpAccountant } from './accountant/rdp-accountant.js';
export type { RdpAccountantOptions } from './accountant/rdp-accountant.js';
export { addEventRdp } from './accountant/event-rdp.js';
export {
  evaluateOracleFile,
  evaluateOracleCase,
  computeOracleCaseOutputs,
  formatOracleMismatch,
  formatOracleSummary,
  SUPPORTED_CASE_TYPES,
  OracleInputError,
} from './oracle/oracle-evaluator.js';
export type { OracleReport, OracleMismatch, OracleCaseResult } from './oracle/oracle-evaluator.js';
export { DpError, isDpError } from './errors/dp-error.js';
export type { DpErrorCode } from './errors/dp-error.js';
export type { Rng } from './rng/rng.js';
export { CryptoRng } from './rng/crypto-rng.js';
export { SeededRng } from './rng/seeded-rng.js';
export type { RngSeed } from './rng/seeded-rng.js';
export type { ExactRational } from './samplers/exact-rational.js';
export { rationalFromDouble } from './samplers/exact-rational.js';
export { sampleBernoulliRational } from './samplers/bernoulli-sampler.js';
export {
  sampleBernoulliExp,
  sampleBernoulliExpRational,
  sampleBernoulliExpMinusOne,
} from './samplers/bernoulli-exp-sampler.js';
export {
  DiscreteGaussianSampler,
  discreteGaussianPmf,
  discreteGaussianVariance,
} from './samplers/discrete-gaussian-sampler.js';
export {
  DiscreteLaplaceSampler,
  discreteLaplacePmf,
  discreteLaplaceVariance,
} from './samplers/discrete-laplace-sampler.js';
export { sampleGaussian, sampleLaplace } from './samplers/continuous-noise-sampler.js';
export type { Mechanism, VoteAccounting } from './mechanisms/mechanism.js';
export { makeGnmax } from './mechanisms/gnmax-mechanism.js';
export type { GnmaxMechanism, GnmaxOptions, GnmaxOutput } from './mechanisms/gnmax-mechanism.js';
export { makeLnmax } from './mechanisms/lnmax-mechanism.js';
export type { LnmaxMechanism, LnmaxOptions, LnmaxOutput } from './mechanisms/lnmax-mechanism.js';
export { makeConfidentGnmax, makeInteractiveGnmax } from './mechanisms/confident-gnmax-mechanism.js';
export type {
  ConfidentCharging,
  ConfidentGnmaxMechanism,
  ConfidentGnmaxOptions,
  ConfidentGnmaxOutput,
  InteractiveGnmaxInput,
  InteractiveGnmaxMechanism,
  InteractiveGnmaxOptions,
  InteractiveGnmaxOutput,
} from './mechanisms/confident-gnmax-mechanism.js';
export { makeGaussian, makeLaplace } from './mechanisms/additive-noise-mechanism.js';
export type {
  GaussianMechanism,
  GaussianMechanismOptions,
  LaplaceMechanism,
  LaplaceMechanismOptions,
} from './mechanisms/additive-noise-mechanism.js';
export { makeMultiLabelGnmax } from './mechanisms/multi-label-gnmax-mechanism.js';
export type {
  MultiLabelGnmaxMechanism,
  MultiLabelGnmaxOptions,
  MultiLabelGnmaxOutput,
  MultiLabelInput,
} from './mechanisms/multi-label-gnmax-mechanism.js';
export { thresholdGap } from './mechanisms/threshold-gap.js';
export { calibrateNoise, epsilonForNoiseScale } from './calibration/noise-calibration.js';
export type { CalibrationFamily, CalibrationRequest, CalibrationResult } from './calibration/noise-calibration.js';
export { dataIndependentEvent, isDataDependentEvent } from './events/data-independent-event.js';
