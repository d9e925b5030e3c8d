export {
  eventLoopIndicator,
  EVENT_LOOP_DEFAULT_DELAY_MAX_MS,
  type EventLoopIndicatorOptions,
} from './event-loop.health';
export {
  memoryIndicator,
  MEMORY_DEFAULT_HEAP_USED_PERCENT,
  type MemoryIndicatorOptions,
} from './memory.health';
export { diskIndicator, DISK_DEFAULT_USED_PERCENT, type DiskIndicatorOptions } from './disk.health';
export {
  fileDescriptorsIndicator,
  FILE_DESCRIPTORS_DEFAULT_USED_PERCENT,
  type FileDescriptorsIndicatorOptions,
} from './file-descriptors.health';
