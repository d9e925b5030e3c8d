export { HEALTH_GRPC_DEFAULTS, type HealthGrpcOptions } from './grpc-health.options';
export { HealthGrpcServer } from './grpc-health.server';
export { HealthServingStatus, type ServingStatus } from './serving-status';
