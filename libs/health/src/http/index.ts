export type { HealthProbeBody, HealthDetailsBody, HealthCheckDetails } from './health-response';
