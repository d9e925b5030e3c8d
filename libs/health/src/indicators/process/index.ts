export {
  eventLoopIndicator,
  EVENT_LOOP_DEFAULT_DELAY_MAX_MS,
  type EventLoopIndicatorOptions,
} from './event-loop.health';
export {
  memoryIndicator,
  MEMORY_DEFAULT_HEAP_USED_PERCENT,
  MEMORY_DEFAULT_WORKING_SET_PERCENT,
  type MemoryContainerData,
  type MemoryIndicatorOptions,
} from './memory.health';
export {
  cpuIndicator,
  CPU_DEFAULT_USAGE_PERCENT,
  CPU_DEFAULT_THROTTLED_PERCENT,
  type CpuIndicatorOptions,
} from './cpu.health';
export type { CpuLimitSource } from './cgroup/cgroup-cpu';
export type { MemoryLimitSource } from './cgroup/cgroup-memory';
export type { PressureAverages, PressureData, PressureResource } from './cgroup/pressure';
export { diskIndicator, DISK_DEFAULT_USED_PERCENT, type DiskIndicatorOptions } from './disk.health';
export {
  fileDescriptorsIndicator,
  FILE_DESCRIPTORS_DEFAULT_USED_PERCENT,
  type FileDescriptorsIndicatorOptions,
} from './file-descriptors.health';
