export { HEALTH_ENDPOINT_METADATA, isHealthEndpoint } from './health-endpoint';
export { healthPrefixExclusions } from './health-prefix-exclusions';
