export type { HealthProbeBody, HealthDetailsBody, HealthCheckDetails } from './health-response';
export type { HealthProcessContainerMemoryFacts, HealthProcessCpuFacts } from './process-facts';
export { REASON_WITHHELD } from './verbose-answer';
