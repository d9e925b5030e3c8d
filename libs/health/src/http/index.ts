export type { HealthProbeBody, HealthDetailsBody, HealthCheckDetails } from './health-response';
export type { HealthProcessContainerMemoryFacts, HealthProcessCpuFacts } from './process-facts';
export { HEALTH_ENDPOINT_METADATA, isHealthEndpoint } from './health-endpoint';
export { REASON_WITHHELD } from './verbose-answer';
export { healthPrefixExclusions } from './health-prefix-exclusions';
