export { HealthStateStore } from './health-state.store';
export { HealthScheduler } from './health.scheduler';
export { HealthCheckRunner } from './health-check.runner';
export { redactSecrets, sanitizeMessage, MAX_MESSAGE_LENGTH, MAX_DATA_BYTES } from './sanitize';
export type {
  IndicatorState,
  GroupState,
  GroupReason,
  HealthSnapshot,
  HealthChangeEvent,
  IndicatorChangeEvent,
  GroupChangeEvent,
  HealthRunEvent,
} from './health-state.types';
