export { HealthProbeServer } from './health-probe.server';
export {
  HEALTH_PROBE_SERVER_DEFAULTS,
  HEALTH_PROBE_SERVER_ROUTES,
  type HealthProbeServerOptions,
  type HealthProbeServerRoute,
} from './probe-server.options';
