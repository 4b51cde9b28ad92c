// Backend
export { initTensorflow } from './backend/tensorflow.backend.js';
export type { BackendName, InitTensorflowOptions, MlLogger, TensorflowBackend } from './backend/tensorflow.backend.js';
export { registerWasmTrainingKernels, restoreShippedWasmKernels } from './backend/wasm-training-kernels.registry.js';
export type { WasmKernelChoice } from './backend/wasm-training-kernels.registry.js';

// Schema and data sets
export { featureCount, featureShape, parseRecordSchema, withoutLabel } from './schema/record.schema.js';
export type {
  DataRecord,
  ImageSchema,
  LabelSpec,
  RecordSchema,
  TabularFeature,
  TabularSchema,
} from './schema/record.schema.js';
export { buildDataset, buildFeatureMatrix, recordSize, sliceDataset } from './dataset/dataset.builder.js';
export type {
  FeatureMatrix,
  LabeledDataset,
  MultiLabelDataset,
  SingleLabelDataset,
} from './dataset/dataset.builder.js';

// Readers
export { ByteBudget, limitBytes } from './readers/byte-source.reader.js';
export type { ByteSource } from './readers/byte-source.reader.js';
export type { ReaderOptions } from './readers/record-field.validator.js';
export { readCsvRecords } from './readers/csv.reader.js';
export { readJsonlRecords } from './readers/jsonl.reader.js';
export { decodePng, readPngRecords } from './readers/png.reader.js';
export type { PngEntry } from './readers/png.reader.js';
export { readIdxRecords } from './readers/idx.reader.js';
export type { IdxSources } from './readers/idx.reader.js';
export { loadMnist, mnistDataDirectory, MNIST_SCHEMA } from './readers/mnist.loader.js';
export type { LoadMnistOptions, MnistSplit } from './readers/mnist.loader.js';

// Models
export { createMlp } from './models/mlp.model.js';
export type { MlpOptions } from './models/mlp.model.js';
export { createCnn } from './models/cnn.model.js';
export type { CnnOptions } from './models/cnn.model.js';
export { createModel, defaultModelSpec, defaultTrainOptions } from './models/model.factory.js';
export type { Architecture, ModelSpec } from './models/model.factory.js';
export { trainModel } from './models/model.trainer.js';
export type { TrainOptions, TrainProgress, TrainResult } from './models/model.trainer.js';
export { evaluate } from './models/model.evaluator.js';
export type { EvaluateOptions } from './models/model.evaluator.js';
export { deserializeModel, modelContentHash, serializeModel, toLayersModelFiles } from './models/model.serializer.js';
export type { SerializedModel } from './models/model.serializer.js';

// Inference
export { predictVotes, predictVotesAsync, votesOfQuery } from './inference/ensemble.inference.js';
export type { ClassVotes, MultiLabelVotes, PredictVotesOptions, VoteMatrix } from './inference/ensemble.inference.js';
export { histogramOf, voteHistogram } from './inference/vote.histogram.js';
export { predictProbabilities } from './inference/probabilities.predictor.js';

// Student
export { trainStudent } from './student/student.trainer.js';
export { studentModelSpec } from './student/student.model.js';
export type { StrongAugmentation } from './student/student.augmentation.js';
export { buildModelCard } from './student/model-card.js';
export type { ModelCardInput } from './student/model-card.js';
export { exportStudent, loadExportedStudent, MODEL_CARD_FILE } from './student/student.exporter.js';
export type { ExportedStudent } from './student/student.exporter.js';
export type {
  ModelCard,
  ModelCardPrivacy,
  StudentMethod,
  StudentProgress,
  StudentTrainingData,
  StudentTrainOptions,
  StudentTrainResult,
} from './student/student.types.js';

// Confidential mode (CaPC): public feature extractors and the teacher heads libs/crypto evaluates homomorphically
export {
  publicFeatureExtractor,
  publicFeatureExtractorById,
  publicFeatureExtractorForSchema,
  quantizeValues,
} from './capc/public-feature.extractor.js';
export type { PublicExtractorSpec, PublicFeatureExtractor } from './capc/public-feature.extractor.js';
export type {
  CapcDenseLayer,
  CapcHeadKind,
  CapcHeadModel,
  HeadTrainOptions,
  HeadTrainResult,
  LinearHead,
  SquareMlpHead,
  SquareMlpTrainOptions,
} from './capc/capc-head.types.js';
export { trainLinearHead, trainSquareMlpHead } from './capc/capc-head.trainer.js';
export type { HeadFeatures } from './capc/capc-head.trainer.js';
export {
  argmaxLogit,
  capcHeadAccuracy,
  capcHeadLogits,
  linearHeadLogits,
  squareMlpLogits,
} from './capc/capc-head.inference.js';
export { quantizeLinearHead } from './capc/capc-head.quantizer.js';
export type { QuantizedCapcLinearHead, QuantizeLinearHeadOptions } from './capc/capc-head.quantizer.js';
export { capcHeadContentHash, decodeCapcHead, encodeCapcHead } from './capc/capc-head.codec.js';
export type { CapcHeadDescriptor, EncodedCapcHead } from './capc/capc-head.codec.js';
