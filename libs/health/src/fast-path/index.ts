export { HealthFastPath, FAST_PATH_MAX_URLS } from './health-fast-path';
export { ProbeBodyCache, type PrebuiltProbeBody, type RenderedProbeBody } from './probe-body.cache';
