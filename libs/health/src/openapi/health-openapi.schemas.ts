/**
 * OpenAPI 3 schemas of the health endpoints' answers, as plain objects: `@nestjs/swagger` takes
 * them as they are, and the library declares them without importing it (an optional peer).
 *
 * @internal
 */

/** An OpenAPI schema object, typed by shape. @internal */
export type OpenApiSchema = Readonly<Record<string, unknown>>;

const STATUS = { type: 'string', enum: ['up', 'degraded', 'down'] } as const;
const INDICATOR_STATUS = { type: 'string', enum: ['up', 'degraded', 'down', 'unknown'] } as const;
const REASON = {
  type: 'string',
  enum: ['starting', 'shutting_down'],
  description: 'Why the module holds the group down.',
} as const;
const TIME = { type: 'string', format: 'date-time' } as const;
const NULLABLE_TIME = { type: 'string', format: 'date-time', nullable: true } as const;

const PERCENT = { type: 'number', nullable: true, minimum: 0, maximum: 100 } as const;
const UPTIME = {
  type: 'object',
  required: ['up', 'upOrDegraded'],
  properties: {
    up: { ...PERCENT, description: 'Percent of the observed time spent up; null if none.' },
    upOrDegraded: { ...PERCENT, description: 'Percent spent up or degraded; null if none.' },
  },
} as const;
const UPTIME_WINDOWS = {
  type: 'object',
  required: ['1h', '24h'],
  properties: { '1h': UPTIME, '24h': UPTIME },
} as const;

/** `HealthProbeBody`: a probe's answer in the module's own format. @internal */
export const PROBE_BODY_SCHEMA: OpenApiSchema = {
  title: 'HealthProbeBody',
  type: 'object',
  required: ['status', 'group', 'timestamp', 'checks'],
  properties: {
    status: STATUS,
    group: { type: 'string' },
    timestamp: TIME,
    reason: REASON,
    check: { type: 'string', description: 'On a per-check route: the check answered for.' },
    checks: {
      type: 'object',
      description: "Each member's effective status, by name.",
      additionalProperties: {
        type: 'object',
        required: ['status'],
        properties: { status: INDICATOR_STATUS },
      },
    },
    warnings: { type: 'array', items: { type: 'string' } },
  },
};

/** `HealthDetailsBody`: `GET /<path>` in the module's own format. @internal */
export const DETAILS_BODY_SCHEMA: OpenApiSchema = {
  title: 'HealthDetailsBody',
  type: 'object',
  required: ['status', 'timestamp', 'details', 'checks', 'groups'],
  properties: {
    status: STATUS,
    timestamp: TIME,
    details: { type: 'string', enum: ['full', 'withheld'] },
    checks: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['status', 'observed', 'critical', 'groups', 'mode', 'since'],
        properties: {
          status: INDICATOR_STATUS,
          observed: { ...STATUS, nullable: true },
          critical: { type: 'boolean' },
          groups: { type: 'array', items: { type: 'string' } },
          mode: { type: 'string', enum: ['background', 'on-demand'] },
          durationMs: { type: 'number', nullable: true },
          lastCheckedAt: NULLABLE_TIME,
          since: TIME,
          timedOut: { type: 'boolean' },
          consecutiveFailures: { type: 'integer' },
          consecutiveSuccesses: { type: 'integer' },
          message: { type: 'string', description: 'Only for callers the details policy admits.' },
          data: {
            type: 'object',
            additionalProperties: true,
            description: 'Only for callers the details policy admits.',
          },
          uptime: { ...UPTIME_WINDOWS, description: 'With history on, for admitted callers.' },
          lastUp: {
            ...NULLABLE_TIME,
            description: 'The last time it was up (with history on, for admitted callers).',
          },
          lastDown: {
            ...NULLABLE_TIME,
            description: 'The last time it was down (with history on, for admitted callers).',
          },
        },
      },
    },
    groups: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['status', 'since'],
        properties: { status: STATUS, since: TIME, reason: REASON },
      },
    },
    process: {
      type: 'object',
      description: 'Only for callers the details policy admits.',
      properties: {
        pid: { type: 'integer' },
        uptimeSeconds: { type: 'number' },
        nodeVersion: { type: 'string' },
        memory: {
          type: 'object',
          properties: {
            rssBytes: { type: 'integer' },
            heapUsedBytes: { type: 'integer' },
            heapTotalBytes: { type: 'integer' },
            externalBytes: { type: 'integer' },
            cgroupUsageBytes: { type: 'integer', nullable: true },
            workingSetBytes: { type: 'integer', nullable: true },
            limitBytes: { type: 'integer', nullable: true },
            limitSource: {
              type: 'string',
              nullable: true,
              enum: [
                'cgroup v2 memory.max',
                'cgroup v1 memory.limit_in_bytes',
                'process.constrainedMemory()',
                null,
              ],
            },
          },
        },
        cpu: {
          type: 'object',
          nullable: true,
          description: 'Null when the figures could not be read.',
          properties: {
            usagePercent: { type: 'number' },
            usedCores: { type: 'number' },
            limitCores: { type: 'number' },
            limitSource: {
              type: 'string',
              enum: [
                'cgroup v2 cpu.max',
                'cgroup v1 cpu.cfs_quota_us',
                'os.availableParallelism()',
              ],
            },
            windowMs: { type: 'number' },
            throttledPercent: PERCENT,
          },
        },
      },
    },
  },
};

const TERMINUS_ENTRIES = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: {
      status: { type: 'string', enum: ['up', 'down'] },
      message: { type: 'string', description: 'Only for callers the details policy admits.' },
    },
    additionalProperties: true,
  },
} as const;

/** `TerminusHealthBody`: an answer with `format: 'terminus'`. @internal */
export const TERMINUS_BODY_SCHEMA: OpenApiSchema = {
  title: 'TerminusHealthBody',
  type: 'object',
  required: ['status', 'info', 'error', 'details'],
  properties: {
    status: { type: 'string', enum: ['ok', 'error', 'shutting_down'] },
    info: TERMINUS_ENTRIES,
    error: TERMINUS_ENTRIES,
    details: TERMINUS_ENTRIES,
  },
};

const HEALTH_JSON_STATUS = { type: 'string', enum: ['pass', 'warn', 'fail'] } as const;

/** `HealthJsonBody`: an answer to `Accept: application/health+json`. @internal */
export const HEALTH_JSON_BODY_SCHEMA: OpenApiSchema = {
  title: 'HealthJsonBody',
  description: 'draft-inadarei-api-health-check-06',
  type: 'object',
  required: ['status'],
  properties: {
    status: HEALTH_JSON_STATUS,
    description: { type: 'string' },
    notes: { type: 'array', items: { type: 'string' } },
    checks: {
      type: 'object',
      description:
        'Keyed "<name>:<measurement>"; on GET /<path> with history, also "<name>:uptime1h", "<name>:uptime24h", "<name>:lastUp" and "<name>:lastDown".',
      additionalProperties: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            componentId: { type: 'string' },
            componentType: { type: 'string' },
            observedValue: { type: 'number' },
            observedUnit: { type: 'string' },
            status: HEALTH_JSON_STATUS,
            time: TIME,
            output: { type: 'string' },
          },
        },
      },
    },
  },
};

/** The body of a 400 or 404 answer. @internal */
export const ERROR_BODY_SCHEMA: OpenApiSchema = {
  title: 'HealthErrorBody',
  type: 'object',
  required: ['statusCode', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    message: { type: 'string' },
  },
};

const FLEET_INSTANCE = {
  type: 'object',
  required: [
    'instance',
    'status',
    'ready',
    'lastSeen',
    'ageMs',
    'stale',
    'terminating',
    'snapshot',
  ],
  properties: {
    instance: { type: 'string' },
    status: INDICATOR_STATUS,
    ready: { type: 'boolean', description: 'Readiness not down, not stale, not terminating.' },
    lastSeen: TIME,
    ageMs: { type: 'number', description: 'Milliseconds since it last published.' },
    stale: { type: 'boolean', description: 'Not published for longer than fleet.ttlMs.' },
    terminating: { type: 'boolean', description: 'It published that it is shutting down.' },
    snapshot: {
      type: 'object',
      nullable: true,
      description: 'What it last published; null once stale.',
      required: [
        'v',
        'service',
        'instance',
        'seq',
        'status',
        'serving',
        'terminating',
        'publishedAt',
        'startedAt',
        'groups',
        'checks',
      ],
      properties: {
        v: { type: 'integer' },
        service: { type: 'string' },
        instance: { type: 'string' },
        seq: { type: 'integer' },
        status: STATUS,
        serving: { type: 'boolean' },
        terminating: { type: 'boolean' },
        publishedAt: TIME,
        startedAt: TIME,
        version: { type: 'string', nullable: true },
        groups: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            required: ['status', 'since'],
            properties: { status: STATUS, since: TIME, reason: REASON },
          },
        },
        checks: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            required: ['status', 'since', 'durationMs'],
            properties: {
              status: INDICATOR_STATUS,
              since: TIME,
              durationMs: { type: 'number', nullable: true },
              uptime1hPercent: {
                type: 'number',
                nullable: true,
                description: 'Percent of the last hour spent up on this replica (with history).',
              },
              uptime24hPercent: {
                type: 'number',
                nullable: true,
                description:
                  'Percent of the last 24 hours spent up on this replica (with history).',
              },
              message: { type: 'string' },
            },
          },
        },
        process: {
          type: 'object',
          description: 'Absent for callers the details policy does not admit.',
          properties: {
            pid: { type: 'integer' },
            hostname: { type: 'string' },
            node: { type: 'string' },
            rssBytes: { type: 'integer' },
            uptimeSeconds: { type: 'integer' },
          },
        },
        truncated: { type: 'boolean' },
      },
    },
  },
} as const;

/** `FleetView`: `GET /<path>/fleet` (and, with `error`, its 503 answer). @internal */
export const FLEET_VIEW_SCHEMA: OpenApiSchema = {
  title: 'FleetView',
  type: 'object',
  required: ['available'],
  properties: {
    service: { type: 'string' },
    status: STATUS,
    policy: { type: 'string' },
    timestamp: TIME,
    available: { type: 'boolean', description: 'false: Redis did not answer; the last view read.' },
    ageMs: { type: 'number', description: 'Milliseconds since the view was read from Redis.' },
    error: { type: 'string', enum: ['fleet data unavailable'] },
    summary: {
      type: 'object',
      properties: {
        instances: { type: 'integer' },
        ready: { type: 'integer' },
        stale: { type: 'integer' },
        terminating: { type: 'integer' },
        byStatus: { type: 'object', additionalProperties: { type: 'integer' } },
      },
    },
    instances: { type: 'array', items: FLEET_INSTANCE },
  },
};

const NUMBERS = { type: 'array', items: { type: 'number' } } as const;

const SUBJECT_HISTORY_PROPERTIES = {
  status: INDICATOR_STATUS,
  streak: {
    type: 'object',
    required: ['status', 'since', 'durationMs'],
    properties: { status: INDICATOR_STATUS, since: TIME, durationMs: { type: 'number' } },
  },
  uptime: UPTIME_WINDOWS,
  lastUp: NULLABLE_TIME,
  lastDown: NULLABLE_TIME,
  mttrMs: {
    type: 'number',
    nullable: true,
    description: 'Mean duration of the down periods that ended in the window.',
  },
  recoveries: { type: 'integer', description: 'Down periods that ended in the window.' },
  transitions: {
    type: 'array',
    items: {
      type: 'object',
      required: ['from', 'to', 'at', 'durationMs'],
      properties: {
        from: INDICATOR_STATUS,
        to: INDICATOR_STATUS,
        at: TIME,
        durationMs: { type: 'number', description: 'Time spent in the status left.' },
        message: { type: 'string', nullable: true },
      },
    },
  },
  buckets: {
    type: 'object',
    description: "The window's time buckets, oldest first, one array entry per bucket.",
    required: ['from', 'bucketMs', 'count', 'worst', 'upMs', 'degradedMs', 'downMs'],
    properties: {
      from: TIME,
      bucketMs: { type: 'integer' },
      count: { type: 'integer' },
      runs: NUMBERS,
      failures: NUMBERS,
      worst: { type: 'array', items: { ...STATUS, nullable: true } },
      latencyMs: {
        type: 'array',
        items: {
          type: 'object',
          nullable: true,
          properties: {
            min: { type: 'number' },
            p50: { type: 'number' },
            p95: { type: 'number' },
            max: { type: 'number' },
          },
        },
      },
      upMs: NUMBERS,
      degradedMs: NUMBERS,
      downMs: NUMBERS,
    },
  },
} as const;

const SUBJECT_HISTORY = {
  type: 'object',
  required: ['status', 'streak'],
  description: 'Status and streak only for callers the details policy does not admit.',
  properties: SUBJECT_HISTORY_PROPERTIES,
} as const;

const HISTORY_WINDOW = { type: 'string', enum: ['1h', '24h'] } as const;
const HISTORY_DETAILS = { type: 'string', enum: ['full', 'withheld'] } as const;

/** `HealthHistoryBody`: `GET /<path>/history`. @internal */
export const HISTORY_BODY_SCHEMA: OpenApiSchema = {
  title: 'HealthHistoryBody',
  type: 'object',
  required: ['timestamp', 'window', 'details', 'indicators', 'groups'],
  properties: {
    timestamp: TIME,
    window: HISTORY_WINDOW,
    details: HISTORY_DETAILS,
    indicators: { type: 'object', additionalProperties: SUBJECT_HISTORY },
    groups: { type: 'object', additionalProperties: SUBJECT_HISTORY },
  },
};

/**
 * The properties of one subject's history at the top of a body, without the nested `required`
 * lists: swagger reads `required` on a component's own properties as a flag of the property.
 */
const SUBJECT_HISTORY_TOP_PROPERTIES = Object.fromEntries(
  Object.entries(SUBJECT_HISTORY_PROPERTIES).map(([key, schema]) => {
    const rest: Record<string, unknown> = { ...schema };
    delete rest.required;
    return [key, rest];
  }),
);

/** `HealthIndicatorHistoryBody`: `GET /<path>/history/:indicator`. @internal */
export const INDICATOR_HISTORY_BODY_SCHEMA: OpenApiSchema = {
  title: 'HealthIndicatorHistoryBody',
  type: 'object',
  required: ['name', 'timestamp', 'window', 'details', 'status', 'streak'],
  properties: {
    name: { type: 'string' },
    timestamp: TIME,
    window: HISTORY_WINDOW,
    details: HISTORY_DETAILS,
    ...SUBJECT_HISTORY_TOP_PROPERTIES,
  },
};

/** `HealthGroupHistoryBody`: `GET /<path>/history/group/:name`. @internal */
export const GROUP_HISTORY_BODY_SCHEMA: OpenApiSchema = {
  ...INDICATOR_HISTORY_BODY_SCHEMA,
  title: 'HealthGroupHistoryBody',
  description:
    "A group's history: its buckets carry no runs, failures nor latency, its transitions no message.",
};
