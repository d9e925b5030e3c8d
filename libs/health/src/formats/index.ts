export {
  HEALTH_RESPONSE_FORMATS,
  type HealthResponseFormat,
  type HealthFormatOption,
} from './response-format';
export {
  HEALTH_JSON_MEDIA_TYPE,
  type HealthJsonBody,
  type HealthJsonCheck,
  type HealthJsonStatus,
} from './health-json.format';
export {
  type TerminusHealthBody,
  type TerminusCheckEntry,
  type TerminusStatus,
} from './terminus.format';
