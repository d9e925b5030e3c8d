export {
  HEALTH_FLEET_DEFAULTS,
  type HealthFleetOptions,
  type FleetPolicy,
  type FleetRedisClient,
} from './fleet.options';
export {
  FLEET_SNAPSHOT_VERSION,
  type FleetView,
  type FleetSummary,
  type FleetInstanceView,
  type FleetInstanceSnapshot,
  type FleetGroupSnapshot,
  type FleetCheckSnapshot,
  type FleetProcessSnapshot,
  type FleetTransition,
  type FleetInstanceEvent,
} from './fleet.types';
export type { FleetUnavailableBody } from './fleet.controller';
