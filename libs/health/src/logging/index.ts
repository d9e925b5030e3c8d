export { HEALTH_LOG_CONTEXT } from './health-logger';
export type { HealthLoggerOption } from './health-log.options';
