import { ApiProperty } from '@nestjs/swagger';
import { IsArray } from 'class-validator';

export class PredictRequestDto {
  @ApiProperty({
    description:
      "Records to classify: each a flat feature vector of the dataset's schema (tabular: features in declared order; images: height × width × channels values in [0, 1], row-major HWC)",
    type: 'array',
    items: { type: 'array', items: { type: 'number' } },
    example: [[0, 0.5, 1]],
  })
  @IsArray()
  records: unknown[];
}

export class PredictionDto {
  @ApiProperty({ description: 'The predicted class index' }) label: number;
  @ApiProperty({ description: "The student's probability of that class" }) confidence: number;
}

export class PredictResponseDto {
  @ApiProperty({ description: 'The deployed (accepted) student that answered' }) studentId: string;
  @ApiProperty() version: number;
  @ApiProperty({ type: [PredictionDto], description: 'One per record, in order' }) predictions: PredictionDto[];
}
