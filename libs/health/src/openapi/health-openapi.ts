import type { Type } from '@nestjs/common';
import { MissingOptionalDependencyError } from '../errors';
import { MAX_EXCLUDED_CHECKS } from '../answers/health-probe.query';
import { loadOptionalPeer } from '../indicators/core/optional-peer';
import {
  DETAILS_BODY_SCHEMA,
  ERROR_BODY_SCHEMA,
  FLEET_VIEW_SCHEMA,
  HEALTH_JSON_BODY_SCHEMA,
  HISTORY_BODY_SCHEMA,
  INDICATOR_HISTORY_BODY_SCHEMA,
  GROUP_HISTORY_BODY_SCHEMA,
  PROBE_BODY_SCHEMA,
  TERMINUS_BODY_SCHEMA,
  type OpenApiSchema,
} from './health-openapi.schemas';

type Decorator = (
  target: object,
  key?: string | symbol,
  descriptor?: PropertyDescriptor,
) => unknown;

/**
 * The decorators of `@nestjs/swagger` the module applies, typed by shape: the package is an
 * optional peer dependency, never imported by the library's entry point or its types.
 *
 * @internal
 */
export interface SwaggerDecorators {
  ApiTags(...tags: string[]): Decorator;
  ApiOperation(options: { summary: string; description?: string }): Decorator;
  ApiResponse(options: Record<string, unknown>): Decorator;
  ApiQuery(options: Record<string, unknown>): Decorator;
  ApiParam(options: Record<string, unknown>): Decorator;
  ApiExtraModels(...models: Type[]): Decorator;
  ApiProperty(options: Record<string, unknown>): Decorator;
  /** Since @nestjs/swagger 8.1; the components keep their description with it. */
  ApiSchema?(options: { name?: string; description?: string }): Decorator;
}

/** The tag of every health endpoint in the OpenAPI document. */
export const HEALTH_OPENAPI_TAG = 'health';

/**
 * `@nestjs/swagger`, when the app has it installed; `null` otherwise.
 *
 * @throws whatever the package throws while loading, other than not being installed.
 * @internal
 */
export function loadSwagger(): SwaggerDecorators | null {
  try {
    return loadOptionalPeer<SwaggerDecorators>('@nestjs/swagger', 'OpenAPI documentation');
  } catch (error) {
    if (error instanceof MissingOptionalDependencyError) return null;
    throw error;
  }
}

const JSON_MEDIA_TYPE = 'application/json';
const HEALTH_JSON = 'application/health+json';

/**
 * The schemas of the answers, by their name under `components.schemas` of the OpenAPI document:
 * each is written there once, and the responses refer to it with `$ref`. The names are stable
 * (clients generated from the document use them as type names).
 *
 * @internal
 */
export const HEALTH_OPENAPI_SCHEMAS: Readonly<Record<string, OpenApiSchema>> = {
  HealthProbeResponse: PROBE_BODY_SCHEMA,
  HealthDetailsResponse: DETAILS_BODY_SCHEMA,
  HealthTerminusResponse: TERMINUS_BODY_SCHEMA,
  HealthJsonDraftResponse: HEALTH_JSON_BODY_SCHEMA,
  HealthErrorResponse: ERROR_BODY_SCHEMA,
  HealthFleetResponse: FLEET_VIEW_SCHEMA,
  HealthHistoryResponse: HISTORY_BODY_SCHEMA,
  HealthIndicatorHistoryResponse: INDICATOR_HISTORY_BODY_SCHEMA,
  HealthGroupHistoryResponse: GROUP_HISTORY_BODY_SCHEMA,
};

type SchemaName = keyof typeof HEALTH_OPENAPI_SCHEMAS;

/** A reference to one of {@link HEALTH_OPENAPI_SCHEMAS}. */
function ref(name: SchemaName): OpenApiSchema {
  return { $ref: `#/components/schemas/${name}` };
}

const PROBE_JSON = { oneOf: [ref('HealthProbeResponse'), ref('HealthTerminusResponse')] };
const DETAILS_JSON = { oneOf: [ref('HealthDetailsResponse'), ref('HealthTerminusResponse')] };
const HEALTH_JSON_BODY = ref('HealthJsonDraftResponse');
const TERMINUS_BODY = ref('HealthTerminusResponse');
const ERROR_BODY = ref('HealthErrorResponse');
const FLEET_BODY = ref('HealthFleetResponse');
const TEXT = { type: 'string' };

/**
 * One model class per schema of {@link HEALTH_OPENAPI_SCHEMAS}, for `ApiExtraModels`: swagger
 * writes the components of model classes only. Each class is named after its schema and carries
 * the schema's properties as `ApiProperty` metadata (raw schema objects, which swagger copies as
 * they are). Made once per swagger package.
 */
const models = new WeakMap<SwaggerDecorators, Type[]>();

function modelsOf(swagger: SwaggerDecorators): Type[] {
  const made = models.get(swagger);
  if (made) return made;
  const classes = Object.entries(HEALTH_OPENAPI_SCHEMAS).map(([name, schema]) => {
    const model = { [name]: class {} }[name];
    const { description, properties, required } = schema as {
      description?: string;
      properties?: Record<string, OpenApiSchema>;
      required?: readonly string[];
    };
    for (const [key, property] of Object.entries(properties ?? {})) {
      swagger.ApiProperty({ ...property, required: (required ?? []).includes(key) })(
        model.prototype,
        key,
      );
    }
    if (description !== undefined) swagger.ApiSchema?.({ name, description })(model);
    return model;
  });
  models.set(swagger, classes);
  return classes;
}

function content(schemas: Readonly<Record<string, OpenApiSchema>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(schemas).map(([mediaType, schema]) => [mediaType, { schema }]),
  );
}

const PROBE_CONTENT = content({
  [JSON_MEDIA_TYPE]: PROBE_JSON,
  [HEALTH_JSON]: HEALTH_JSON_BODY,
  'text/plain': TEXT,
});

const FORMATS_NOTE =
  'application/json is the module\'s own body, or Terminus\'s with `format: "terminus"`; ' +
  '`Accept: application/health+json` gets the IETF draft format; `?verbose` gets text/plain.';

/** What one route answers, for the document. */
interface RouteDoc {
  readonly summary: string;
  readonly responses: readonly Record<string, unknown>[];
  readonly queries: readonly Record<string, unknown>[];
  readonly params: readonly Record<string, unknown>[];
}

const BAD_QUERY = {
  status: 400,
  description: 'A query parameter is invalid; the message names it.',
  content: content({ [JSON_MEDIA_TYPE]: ERROR_BODY }),
};
const NOT_FOUND = (what: string) => ({
  status: 404,
  description: `No such ${what}.`,
  content: content({ [JSON_MEDIA_TYPE]: ERROR_BODY }),
});

const PROBE_QUERIES = [
  {
    name: 'verbose',
    required: false,
    type: 'boolean',
    description:
      'Plain text, one line per check, as the Kubernetes API server answers /readyz?verbose. `?verbose` alone means true.',
  },
  {
    name: 'exclude',
    required: false,
    type: 'string',
    isArray: true,
    maxItems: MAX_EXCLUDED_CHECKS,
    description: 'Checks to leave out of this answer and of its status (repeatable).',
  },
  {
    name: 'fresh',
    required: false,
    type: 'boolean',
    description:
      'Run the checks now (callers the details policy admits; rate-limited by freshMinIntervalMs).',
  },
];

const CHECK_PARAM = { name: 'check', description: 'A member of the group.' };
const GROUP_PARAM = { name: 'name', description: 'A group name.' };

function probeDoc(summary: string, params: readonly Record<string, unknown>[]): RouteDoc {
  const responses: Record<string, unknown>[] = [
    {
      status: 200,
      description: `The probe passes: up or degraded (the group's httpStatus mapping may change the codes). ${FORMATS_NOTE}`,
      content: PROBE_CONTENT,
    },
    {
      status: 503,
      description:
        'The probe fails: down, or held down by the module while starting or shutting down.',
      content: PROBE_CONTENT,
    },
    BAD_QUERY,
  ];
  if (params.length > 0) {
    responses.push(NOT_FOUND(params.length > 1 ? 'group, or no such check in it' : 'check'));
  }
  return { summary, responses, queries: PROBE_QUERIES, params };
}

const DETAILS_DOC: RouteDoc = {
  summary: 'Every indicator, group and process fact the caller is admitted to',
  responses: [
    {
      status: 200,
      description: `Whatever the status, in the module's own format; in the Terminus and health+json formats, when not down. ${FORMATS_NOTE}`,
      content: content({ [JSON_MEDIA_TYPE]: DETAILS_JSON, [HEALTH_JSON]: HEALTH_JSON_BODY }),
    },
    {
      status: 503,
      description: 'Down, in the Terminus and application/health+json formats only.',
      content: content({
        [JSON_MEDIA_TYPE]: TERMINUS_BODY,
        [HEALTH_JSON]: HEALTH_JSON_BODY,
      }),
    },
    BAD_QUERY,
  ],
  queries: [PROBE_QUERIES[2]],
  params: [],
};

const STREAM_DOC: RouteDoc = {
  summary: 'Server-Sent Events: a snapshot, then every change',
  responses: [
    {
      status: 200,
      description: 'An event stream: `snapshot` on connect, then `change` events.',
      content: content({ 'text/event-stream': TEXT }),
    },
    BAD_QUERY,
    NOT_FOUND('group'),
    {
      status: 503,
      description: 'Too many streams open (stream.maxSubscribers); see Retry-After.',
      content: content({ [JSON_MEDIA_TYPE]: ERROR_BODY }),
    },
  ],
  queries: [
    {
      name: 'interval',
      required: false,
      type: 'number',
      minimum: 0.5,
      maximum: 300,
      description: 'Also send a full snapshot every this many seconds.',
    },
    { name: 'group', required: false, type: 'string', description: 'Only this group.' },
  ],
  params: [],
};

const DASHBOARD_DOC: RouteDoc = {
  summary: 'A self-contained page that reads the stream',
  responses: [{ status: 200, description: 'The page.', content: content({ 'text/html': TEXT }) }],
  queries: [],
  params: [],
};

const METRICS_DOC: RouteDoc = {
  summary: 'Prometheus metrics of the health state (with `metrics` served by the module)',
  responses: [
    {
      status: 200,
      description: 'The Prometheus text exposition format.',
      content: content({ 'text/plain': TEXT }),
    },
    {
      status: 403,
      description: 'The details policy does not admit the caller.',
      content: content({ [JSON_MEDIA_TYPE]: ERROR_BODY }),
    },
    NOT_FOUND('endpoint: metrics are off, or served elsewhere'),
  ],
  queries: [],
  params: [],
};

const FLEET_DOC: RouteDoc = {
  summary: 'Every replica of the service, read from Redis (with `fleet`)',
  responses: [
    {
      status: 200,
      description:
        'The fleet view, whatever its status; statuses only for callers the details policy does not admit.',
      content: content({ [JSON_MEDIA_TYPE]: FLEET_BODY }),
    },
    BAD_QUERY,
    NOT_FOUND('endpoint: the fleet is off'),
    {
      status: 503,
      description:
        'Redis does not answer: `error: "fleet data unavailable"`, `available: false`, and the last view read with its age.',
      content: content({ [JSON_MEDIA_TYPE]: FLEET_BODY }),
    },
  ],
  queries: [
    {
      name: 'indicator',
      required: false,
      type: 'string',
      description: 'Only this indicator of each replica.',
    },
    {
      name: 'status',
      required: false,
      enum: ['up', 'degraded', 'down', 'unknown'],
      description: 'Only replicas of this status (with `indicator`: whose indicator has it).',
    },
  ],
  params: [],
};

const FLEET_STREAM_DOC: RouteDoc = {
  summary: 'Server-Sent Events of the fleet: a snapshot, then transitions and replica changes',
  responses: [
    {
      status: 200,
      description:
        'An event stream: `snapshot` on connect, then `transition` and `instance` events.',
      content: content({ 'text/event-stream': TEXT }),
    },
    NOT_FOUND('endpoint: the fleet is off'),
    {
      status: 503,
      description: 'Too many streams open (stream.maxSubscribers); see Retry-After.',
      content: content({ [JSON_MEDIA_TYPE]: ERROR_BODY }),
    },
  ],
  queries: [],
  params: [],
};

const WINDOW_QUERY = {
  name: 'window',
  required: false,
  enum: ['1h', '24h'],
  description: 'The window of the buckets, transitions and MTTR (default 1h).',
};

const HISTORY_DOC: RouteDoc = {
  summary: 'Uptime, transitions and time buckets of every indicator and group (with `history`)',
  responses: [
    {
      status: 200,
      description:
        'The history; each indicator\'s and group\'s status and streak only (`details: "withheld"`) for callers the details policy does not admit.',
      content: content({ [JSON_MEDIA_TYPE]: ref('HealthHistoryResponse') }),
    },
    BAD_QUERY,
    NOT_FOUND('endpoint: history is off'),
  ],
  queries: [WINDOW_QUERY],
  params: [],
};

const INDICATOR_HISTORY_DOC: RouteDoc = {
  summary: 'Uptime, transitions and time buckets of one indicator (with `history`)',
  responses: [
    {
      status: 200,
      description:
        'The indicator\'s history; status and streak only (`details: "withheld"`) for callers the details policy does not admit.',
      content: content({ [JSON_MEDIA_TYPE]: ref('HealthIndicatorHistoryResponse') }),
    },
    BAD_QUERY,
    NOT_FOUND('indicator, or history is off'),
  ],
  queries: [WINDOW_QUERY],
  params: [{ name: 'indicator', description: 'An indicator name.' }],
};

const GROUP_HISTORY_DOC: RouteDoc = {
  summary: 'Uptime, transitions and time buckets of one group (with `history`)',
  responses: [
    {
      status: 200,
      description:
        'The group\'s history; status and streak only (`details: "withheld"`) for callers the details policy does not admit.',
      content: content({ [JSON_MEDIA_TYPE]: ref('HealthGroupHistoryResponse') }),
    },
    BAD_QUERY,
    NOT_FOUND('group, or history is off'),
  ],
  queries: [WINDOW_QUERY],
  params: [GROUP_PARAM],
};

/** The documentation of each handler of the module's controllers, by method name. */
const ROUTE_DOCS: Readonly<Record<string, RouteDoc>> = {
  details: DETAILS_DOC,
  live: probeDoc('Liveness probe', []),
  ready: probeDoc('Readiness probe', []),
  startup: probeDoc('Startup probe', []),
  group: probeDoc('Probe of any group', [GROUP_PARAM]),
  livez: probeDoc('Liveness probe (Kubernetes-style alias)', []),
  readyz: probeDoc('Readiness probe (Kubernetes-style alias)', []),
  startupz: probeDoc('Startup probe (Kubernetes-style alias)', []),
  liveCheck: probeDoc('One check of the liveness group', [CHECK_PARAM]),
  readyCheck: probeDoc('One check of the readiness group', [CHECK_PARAM]),
  startupCheck: probeDoc('One check of the startup group', [CHECK_PARAM]),
  groupCheck: probeDoc('One check of any group', [GROUP_PARAM, CHECK_PARAM]),
  livezCheck: probeDoc('One check of the liveness group (alias)', [CHECK_PARAM]),
  readyzCheck: probeDoc('One check of the readiness group (alias)', [CHECK_PARAM]),
  startupzCheck: probeDoc('One check of the startup group (alias)', [CHECK_PARAM]),
  events: STREAM_DOC,
  page: DASHBOARD_DOC,
  scrape: METRICS_DOC,
  fleetView: FLEET_DOC,
  fleetStream: FLEET_STREAM_DOC,
  allHistory: HISTORY_DOC,
  indicatorHistory: INDICATOR_HISTORY_DOC,
  groupHistory: GROUP_HISTORY_DOC,
};

/**
 * Documents the module's controllers for `@nestjs/swagger` when the app has it installed (it is
 * loaded here, when the module is defined, never by the entry point): every controller gets the
 * tag `health`, and each known route its summary, query and path parameters, and responses with
 * their schemas for each status code (200 and 503 for the probes). The schemas are components
 * (`#/components/schemas/HealthProbeResponse`, …; see {@link HEALTH_OPENAPI_SCHEMAS}) that the
 * responses refer to with `$ref`, as swagger does for DTO classes. Without the package, nothing
 * happens. The `decorators` route option is applied after, so that e.g. `ApiExcludeController()`
 * there takes the endpoints out of the document.
 *
 * @param swagger - the decorators to apply; by default `@nestjs/swagger`'s, or `null` (nothing
 *   to apply) when it is not installed.
 * @internal
 */
export function documentHealthControllers(
  controllers: readonly Type[],
  swagger: SwaggerDecorators | null = loadSwagger(),
): Type[] {
  if (!swagger) return [...controllers];
  const schemaModels = modelsOf(swagger);
  for (const controller of controllers) {
    swagger.ApiTags(HEALTH_OPENAPI_TAG)(controller);
    swagger.ApiExtraModels(...schemaModels)(controller);
    const prototype = controller.prototype as object;
    for (const method of Object.getOwnPropertyNames(prototype)) {
      if (!Object.prototype.hasOwnProperty.call(ROUTE_DOCS, method)) continue;
      const doc = ROUTE_DOCS[method];
      const descriptor = Object.getOwnPropertyDescriptor(prototype, method);
      if (typeof descriptor?.value !== 'function') continue;
      const decorators = [
        swagger.ApiOperation({ summary: doc.summary }),
        ...doc.params.map((param) =>
          swagger.ApiParam({ required: true, type: 'string', ...param }),
        ),
        ...doc.queries.map((query) => swagger.ApiQuery(query)),
        ...doc.responses.map((response) => swagger.ApiResponse(response)),
      ];
      for (const decorate of decorators) decorate(prototype, method, descriptor);
    }
  }
  return [...controllers];
}
