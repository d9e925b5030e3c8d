export type { HealthProbeBody, HealthDetailsBody, HealthCheckDetails } from './health-response';
export { REASON_WITHHELD } from './verbose-answer';
