export {
  HEALTH_TELEMETRY_METRICS,
  HEALTH_TELEMETRY_ATTRIBUTES,
  HEALTH_CHECK_SPAN_PREFIX,
  HEALTH_TRANSITION_EVENT,
  INDICATOR_TELEMETRY_STATUSES,
  GROUP_TELEMETRY_STATUSES,
} from './health-telemetry-names';
export { HEALTH_TELEMETRY_DEFAULTS, type HealthTelemetryOptions } from './health-telemetry.options';
export { HealthTelemetry } from './health-telemetry.service';
