/** Name of the BullMQ queue of demo jobs. */
export const DEMO_QUEUE = 'demo';

/** Name of the demo jobs in {@link DEMO_QUEUE}. */
export const DEMO_JOB = 'demo';

/** What a demo job carries. */
export interface DemoJobData {
  readonly message?: string;
}

/** What the worker returns for a demo job. */
export interface DemoJobResult {
  readonly message: string;
  /** ISO-8601 time the worker processed it. */
  readonly processedAt: string;
}
