export { HealthModule } from './health.module';
export { HEALTH_MODULE_OPTIONS } from './health.module-definition';
export {
  HEALTH_MODULE_DEFAULTS,
  type HealthModuleOptions,
  type HealthModuleRouteOptions,
  type HealthHttpStatusMapping,
  type HealthStreamOptions,
} from './health-module-options';
export {
  up,
  degraded,
  down,
  type HealthStatus,
  type IndicatorStatus,
  type HealthCheckResult,
  type HealthCheckContext,
  type HealthIndicatorCheck,
  type HealthCheckFunction,
} from './check';
export {
  HealthIndicator,
  deriveIndicatorName,
  type HealthIndicatorOptions,
  type HealthIndicatorTiming,
  type HealthIndicatorMode,
} from './decorators';
export {
  HealthRegistry,
  type HealthRegistryEvent,
  type HealthIndicatorDefinition,
} from './discovery';
export {
  HealthStateStore,
  redactSecrets,
  sanitizeMessage,
  MAX_MESSAGE_LENGTH,
  MAX_DATA_BYTES,
  type IndicatorState,
  type GroupState,
  type GroupReason,
  type HealthSnapshot,
  type HealthChangeEvent,
  type IndicatorChangeEvent,
  type GroupChangeEvent,
  type HealthRunEvent,
} from './engine';
export {
  HealthMetrics,
  HEALTH_METRIC_NAMES,
  HEALTH_METRICS_DEFAULTS,
  INDICATOR_METRIC_STATES,
  GROUP_METRIC_STATES,
  type HealthMetricsOptions,
  type PrometheusRegistryLike,
} from './metrics';
export {
  OnHealthChange,
  InvalidHealthChangeHookError,
  type HealthChangeFilter,
  type HealthChangeHookFilter,
} from './hooks';
export { HEALTH_LOG_CONTEXT, type HealthLoggerOption } from './logging';
export {
  HEALTH_ENDPOINT_METADATA,
  isHealthEndpoint,
  REASON_WITHHELD,
  type HealthProbeBody,
  type HealthDetailsBody,
  type HealthCheckDetails,
} from './http';
export {
  HealthDetailsPolicy,
  isLoopbackAddress,
  type HealthDetailsMode,
  type HealthAuthorize,
  type HealthAuthorizeFunction,
  type HealthDetailsTarget,
} from './details';
export { HealthShutdown, type HealthShutdownPhase } from './shutdown';
export {
  HEALTH_RESPONSE_FORMATS,
  HEALTH_JSON_MEDIA_TYPE,
  type HealthResponseFormat,
  type HealthFormatOption,
  type HealthJsonBody,
  type HealthJsonCheck,
  type HealthJsonStatus,
  type TerminusHealthBody,
  type TerminusCheckEntry,
  type TerminusStatus,
} from './formats';
export { HEALTH_OPENAPI_TAG } from './openapi';
export {
  HealthModuleError,
  InvalidHealthModuleOptionsError,
  InvalidHealthIndicatorOptionsError,
  MissingHealthCheckMethodError,
  DuplicateHealthIndicatorError,
  HealthIndicatorScopeError,
  MissingOptionalDependencyError,
  HealthModuleImportedTwiceError,
  type HealthIndicatorOrigin,
} from './errors';
export type { OptionProblem } from './options/validate-options';
export {
  isBuiltInIndicator,
  eventLoopIndicator,
  memoryIndicator,
  diskIndicator,
  fileDescriptorsIndicator,
  httpIndicator,
  tcpIndicator,
  dnsIndicator,
  sqlIndicator,
  redisIndicator,
  bullmqIndicator,
  rabbitmqIndicator,
  terminusIndicator,
  EVENT_LOOP_DEFAULT_DELAY_MAX_MS,
  MEMORY_DEFAULT_HEAP_USED_PERCENT,
  DISK_DEFAULT_USED_PERCENT,
  FILE_DESCRIPTORS_DEFAULT_USED_PERCENT,
  REDIS_DEFAULT_USED_MEMORY_PERCENT,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type UpperThreshold,
  type LowerThreshold,
  type EventLoopIndicatorOptions,
  type MemoryIndicatorOptions,
  type DiskIndicatorOptions,
  type FileDescriptorsIndicatorOptions,
  type HttpIndicatorOptions,
  type HttpStatusExpectation,
  type TcpIndicatorOptions,
  type DnsIndicatorOptions,
  type SqlIndicatorOptions,
  type SqlQueryable,
  type RedisIndicatorOptions,
  type RedisClientLike,
  type BullMqIndicatorOptions,
  type BullMqQueueLike,
  type RabbitMqIndicatorOptions,
  type RabbitMqQueueCheck,
  type AmqpConnectionLike,
  type AmqpChannelLike,
  type TerminusIndicatorFunction,
  type TerminusIndicatorOptions,
  type TerminusIndicatorResult,
} from './indicators';
