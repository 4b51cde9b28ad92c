import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, DomainError, Roles, type Principal } from '@conclave/common';
import { STUDENT_FILES, type StudentFile } from '../artifacts/student-artifact.store.js';
import {
  AcceptedStudentDto,
  CreateStudentDto,
  ListStudentsQueryDto,
  StudentCreatedDto,
  StudentDto,
} from './dto/student.dto.js';
import { StudentsService } from './students.service.js';

@ApiTags('students')
@Controller('v1/students')
export class StudentsController {
  constructor(private readonly students: StudentsService) {}

  @Post()
  @HttpCode(202)
  @Roles('querying-party', 'admin')
  @ApiOperation({
    summary:
      "Train a student from a finished job's released labels plus the rest of its pool (unlabeled), in the background",
  })
  @ApiAcceptedResponse({ type: StudentCreatedDto })
  create(@Body() dto: CreateStudentDto, @CurrentPrincipal() caller: Principal): Promise<StudentCreatedDto> {
    return this.students.create(dto, caller);
  }

  @Get()
  @Roles('querying-party', 'admin')
  @ApiOperation({ summary: "The registry: a dataset's student versions, newest first" })
  @ApiOkResponse({ type: [StudentDto] })
  list(@Query() query: ListStudentsQueryDto, @CurrentPrincipal() caller: Principal): Promise<StudentDto[]> {
    return this.students.list(query.datasetId, caller);
  }

  @Get(':id')
  @Roles('querying-party', 'admin')
  @ApiOperation({
    summary: "A student: status, progress, model card, error code, and once accepted the teachers' discard",
  })
  @ApiOkResponse({ type: StudentDto })
  get(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() caller: Principal): Promise<StudentDto> {
    return this.students.get(id, caller);
  }

  @Get(':id/:file')
  @Roles('querying-party', 'admin')
  @ApiOperation({
    summary:
      'The exported student (TensorFlow.js layers format): model.json, weights.bin (model.json names it relative to itself), model-card.json',
  })
  @ApiParam({ name: 'file', enum: Object.keys(STUDENT_FILES) })
  @ApiProduces('application/json', 'application/octet-stream')
  async file(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('file') file: string,
    @CurrentPrincipal() caller: Principal,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    const exported = await this.students.file(id, checkFile(file), caller);
    response.setHeader('etag', `"${exported.contentHash}"`);
    const options = { type: exported.contentType };
    return Buffer.isBuffer(exported.body)
      ? new StreamableFile(exported.body, options)
      : new StreamableFile(exported.body, options);
  }

  @Post(':id/accept')
  @HttpCode(202)
  @ApiOperation({
    summary:
      "Deploy this student for its dataset (the previous one is superseded) and have the guardian discard the dataset's teachers (admin)",
  })
  @ApiAcceptedResponse({ type: AcceptedStudentDto })
  accept(
    @Param('id', new ParseUUIDPipe()) id: string,
    @CurrentPrincipal() caller: Principal,
  ): Promise<AcceptedStudentDto> {
    return this.students.accept(id, caller);
  }
}

function checkFile(file: string): StudentFile {
  if (!Object.hasOwn(STUDENT_FILES, file)) {
    throw new DomainError('ROUTE_NOT_FOUND', `No such student file: ${Object.keys(STUDENT_FILES).join(', ')}`);
  }
  return file as StudentFile;
}
