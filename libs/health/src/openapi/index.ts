export { HEALTH_OPENAPI_TAG } from './health-openapi';
