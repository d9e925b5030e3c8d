export { HealthDetailsPolicy } from './health-details.policy';
export { isLoopbackAddress } from './loopback';
export type { HealthDetailsTarget } from './http-execution-context';
export type {
  HealthDetailsMode,
  HealthAuthorize,
  HealthAuthorizeFunction,
  HealthRequest,
} from './health-details.types';
