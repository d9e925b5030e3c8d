export { HealthShutdown, type HealthShutdownPhase } from './health-shutdown';
