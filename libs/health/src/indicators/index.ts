export {
  isBuiltInIndicator,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type LowerThreshold,
  type UpperThreshold,
} from './core';
export {
  eventLoopIndicator,
  memoryIndicator,
  diskIndicator,
  fileDescriptorsIndicator,
  EVENT_LOOP_DEFAULT_DELAY_MAX_MS,
  MEMORY_DEFAULT_HEAP_USED_PERCENT,
  DISK_DEFAULT_USED_PERCENT,
  FILE_DESCRIPTORS_DEFAULT_USED_PERCENT,
  type EventLoopIndicatorOptions,
  type MemoryIndicatorOptions,
  type DiskIndicatorOptions,
  type FileDescriptorsIndicatorOptions,
} from './process';
export {
  httpIndicator,
  tcpIndicator,
  dnsIndicator,
  type HttpIndicatorOptions,
  type HttpStatusExpectation,
  type TcpIndicatorOptions,
  type DnsIndicatorOptions,
} from './network';
export {
  sqlIndicator,
  redisIndicator,
  bullmqIndicator,
  rabbitmqIndicator,
  REDIS_DEFAULT_USED_MEMORY_PERCENT,
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
} from './data';
export {
  terminusIndicator,
  type TerminusIndicatorFunction,
  type TerminusIndicatorOptions,
  type TerminusIndicatorResult,
} from './terminus';
