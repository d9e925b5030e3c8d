import { IsOptional, IsString, MaxLength } from 'class-validator';

/** Body of `POST /jobs`; every field is optional. */
export class CreateJobDto {
  /** Echoed back by the worker. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  message?: string;
}
