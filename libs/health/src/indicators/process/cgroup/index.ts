export {
  locateCgroup,
  locationFrom,
  parseCgroupMounts,
  parseProcCgroup,
  type CgroupController,
  type CgroupLocation,
} from './cgroup-location';
export { CgroupLocator } from './cgroup-locator';
export { readCpuQuota, readCpuThrottling, type CpuLimitSource } from './cgroup-cpu';
export {
  constrainedMemoryBytes,
  readCgroupMemory,
  type CgroupMemory,
  type MemoryLimitSource,
} from './cgroup-memory';
export { CpuSampler, type CpuSample, type CpuThrottling } from './cpu-sampler';
export {
  parsePressure,
  readPressure,
  type PressureAverages,
  type PressureData,
  type PressureResource,
} from './pressure';
