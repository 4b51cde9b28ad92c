import { Injectable } from '@nestjs/common';
import { DomainError, type Principal } from '@conclave/common';
import { StudentModelRepository } from '@conclave/db';
import { featureCount, featureShape, parseRecordSchema, predictProbabilities } from '@conclave/ml';
import { StudentEnv } from '../student.env.js';
import { StudentsService } from '../students/students.service.js';
import type { PredictResponseDto } from './dto/predict.dto.js';
import { packPredictRecords } from './predict-input.validator.js';
import { StudentModelCache } from './student-model.cache.js';

/** Inference with the deployed (accepted) student of a dataset: the only model Conclave serves. */
@Injectable()
export class PredictService {
  constructor(
    private readonly students: StudentModelRepository,
    private readonly access: StudentsService,
    private readonly cache: StudentModelCache,
    private readonly config: StudentEnv,
  ) {}

  async predict(datasetId: string, records: unknown[], caller: Principal): Promise<PredictResponseDto> {
    const dataset = await this.access.visibleDataset(datasetId, caller);
    const schema = parseRecordSchema(dataset.recordSchema);
    const size = featureCount(schema);
    const features = packPredictRecords(records, size, this.config.PREDICT_MAX_RECORDS);
    const student = await this.students.findAccepted(dataset.id);
    if (!student || !student.artifactPath) {
      throw new DomainError('NO_ACCEPTED_STUDENT', 'This dataset has no accepted student to predict with');
    }
    const model = await this.cache.modelFor(student);
    const count = records.length;
    const probabilities = predictProbabilities(model, { features, featureShape: featureShape(schema), count });
    const k = probabilities.length / count;
    const predictions = [];
    for (let i = 0; i < count; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (probabilities[i * k + c]! > probabilities[i * k + best]!) best = c;
      predictions.push({ label: best, confidence: probabilities[i * k + best]! });
    }
    return { studentId: student.id, version: student.version, predictions };
  }
}
