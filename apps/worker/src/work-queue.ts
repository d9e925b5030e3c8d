/**
 * The queue the worker consumes: the example app's demo queue, so that `POST /jobs` on the
 * example feeds it.
 */
export const WORK_QUEUE = 'demo';

/** Injection token of the worker's {@link WorkerConfig}. */
export const WORKER_CONFIG = Symbol('WORKER:CONFIG');
