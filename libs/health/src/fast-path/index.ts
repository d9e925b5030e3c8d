export { HealthFastPath, FAST_PATH_MAX_URLS } from './health-fast-path';
