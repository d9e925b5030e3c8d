import type { HealthStatus, IndicatorStatus } from '../check';
import { LIVENESS } from '../engine/aggregation';
import type { GroupReason, IndicatorState } from '../engine/health-state.types';
import type { HealthCheckHistorySummary } from '../history/health-history.types';

/** The media type of the IETF draft "Health Check Response Format for HTTP APIs". */
export const HEALTH_JSON_MEDIA_TYPE = 'application/health+json';

/**
 * A status in `application/health+json`: `pass` (healthy), `warn` (healthy, with concerns),
 * `fail` (unhealthy). `pass` and `warn` are answered with a 2xx code, `fail` with a 4xx or 5xx
 * one (503 by default), as the draft requires.
 */
export type HealthJsonStatus = 'pass' | 'warn' | 'fail';

/**
 * One reading in the `checks` of an `application/health+json` answer (the draft's "component
 * details" object). Every field is optional in the draft; this module sets them as described.
 */
export interface HealthJsonCheck {
  /** The indicator's name (the part of the key before the colon). */
  readonly componentId: string;
  /**
   * `'datastore'` (the SQL and Redis built-ins), `'system'` (event loop, memory, disk, file
   * descriptors) or `'component'` (everything else, your own indicators included), the
   * draft's pre-defined values.
   */
  readonly componentType: string;
  /**
   * The measurement: on `<name>:responseTime`, the check's `responseTimeMs` when its data has
   * one (the built-ins measure the dependency's answer), else how long its last run took; on
   * the other keys, a number from the check's data. Only for callers the details policy admits.
   */
  readonly observedValue?: number;
  /** Unit of `observedValue`: `'ms'`, `'s'`, `'bytes'` or `'percent'`. */
  readonly observedUnit?: string;
  /**
   * The check's status (`up` → `pass`, `degraded` → `warn`, `down` → `fail`; before its first
   * result `fail`, or `warn` in the liveness group, where it does not fail the probe) on
   * `<name>:responseTime`; `pass` on `<name>:lastUp` and `fail` on `<name>:lastDown` (the status
   * the check was last seen in, at `time`).
   */
  readonly status?: HealthJsonStatus;
  /**
   * ISO-8601 time of the reading: the end of the last run (absent before the first result); on
   * `<name>:uptime1h` and `<name>:uptime24h` the time of the answer; on `<name>:lastUp` and
   * `<name>:lastDown` the last time the check's effective status was `up` (or `down`).
   */
  readonly time?: string;
  /**
   * Why the check is not passing: its last message (sanitized). Only for `warn` and `fail`, and
   * only for callers the details policy admits.
   */
  readonly output?: string;
}

/**
 * The body of a health endpoint asked with `Accept: application/health+json`, as the IETF draft
 * "Health Check Response Format for HTTP APIs" (draft-inadarei-api-health-check-06) defines it.
 * Served with `Content-Type: application/health+json`.
 *
 * Each check has a key `"<name>:responseTime"` (its status and, for admitted callers, its
 * response time in ms). For callers the details policy admits, every number in the
 * check's data whose key ends in a unit (`Ms`, `Seconds`, `Bytes`, `Percent`) adds a key
 * `"<name>:<measurement>"`, e.g. `usedMemoryBytes` → `"redis:usedMemory"` in `bytes` (the
 * whole data key when two keys would share a name: `"redis:usedMemoryPercent"`).
 *
 * On `GET /<path>`, with history on and for admitted callers, each check's history adds, as the
 * draft's measurements of that component (each only when known): `"<name>:uptime1h"` and
 * `"<name>:uptime24h"` (the share of the observed time spent `up`, `observedUnit: "percent"`,
 * `time` the answer's), and `"<name>:lastUp"` / `"<name>:lastDown"` (a reading with `status`
 * `pass` / `fail` and `time` the last time the check was `up` / `down`: the draft's `time` is
 * when a reading was taken, so the status and time of the last such reading say it without an
 * `observedValue` of a unit the draft does not define). A key of the check's data with the same
 * name keeps its whole data key, as above.
 *
 * @example
 * ```json
 * { "status": "fail",
 *   "checks": {
 *     "database:responseTime": [{ "componentId": "database", "componentType": "component",
 *       "observedValue": 1.8, "observedUnit": "ms", "status": "pass",
 *       "time": "2026-11-21T10:00:00.000Z" }],
 *     "redis:responseTime": [{ "componentId": "redis", "componentType": "component",
 *       "observedValue": 0.6, "observedUnit": "ms", "status": "fail",
 *       "time": "2026-11-21T10:00:00.000Z", "output": "connect ECONNREFUSED 127.0.0.1:6379" }] } }
 * ```
 */
export interface HealthJsonBody {
  /**
   * `pass` when the endpoint answers 2xx and every counted check is up, `warn` when it answers
   * 2xx otherwise, `fail` when it answers 4xx or 5xx.
   */
  readonly status: HealthJsonStatus;
  /** What the answer is about: `readiness`, a custom group's name, or `every group`. */
  readonly description: string;
  /**
   * Why the module holds the group down (`the application is shutting down`, `… is starting`),
   * and warnings about the request (an `?exclude=` name that matched nothing).
   */
  readonly notes?: readonly string[];
  /** One array of one reading per key; see {@link HealthJsonCheck}. */
  readonly checks: Readonly<Record<string, readonly HealthJsonCheck[]>>;
}

/** What {@link toHealthJsonBody} needs of one check. @internal */
export type HealthJsonCheckInput = Pick<
  IndicatorState,
  'name' | 'status' | 'groups' | 'message' | 'data' | 'durationMs' | 'lastCheckedAt'
> & {
  readonly componentType: string;
  /** The check's history, for `GET /<path>` with history on and an admitted caller. */
  readonly history?: HealthCheckHistorySummary;
};

/** What {@link toHealthJsonBody} answers about. @internal */
export interface HealthJsonAnswer {
  /** The group (or, for `GET /<path>`, `null`). */
  readonly group: string | null;
  /** The status the answer reports (after `?exclude=`). */
  readonly status: HealthStatus;
  /** Whether the HTTP code is below 400. */
  readonly passed: boolean;
  readonly reasons: readonly GroupReason[];
  readonly warnings: readonly string[];
  readonly checks: readonly HealthJsonCheckInput[];
  /** Whether the caller sees observed values and outputs. */
  readonly admitted: boolean;
  /** ISO-8601 time of the answer: the `time` of the uptime readings. */
  readonly at?: string;
}

const REASON_NOTES: Readonly<Record<GroupReason, string>> = {
  starting: 'the application is starting',
  shutting_down: 'the application is shutting down',
};

/** Data keys that carry a unit, and the unit's name in `observedUnit`. */
const UNIT_SUFFIXES: readonly (readonly [suffix: string, unit: string])[] = [
  ['Ms', 'ms'],
  ['Seconds', 's'],
  ['Bytes', 'bytes'],
  ['Percent', 'percent'],
];

/**
 * The `application/health+json` body of an answer.
 *
 * @internal
 */
export function toHealthJsonBody(answer: HealthJsonAnswer): HealthJsonBody {
  const checks: Record<string, HealthJsonCheck[]> = {};
  for (const check of answer.checks) {
    const status = checkStatus(check, answer.group);
    const reading: Record<string, unknown> = {
      componentId: check.name,
      componentType: check.componentType,
    };
    const responseTimeMs = answer.admitted ? responseTimeOf(check) : null;
    if (responseTimeMs !== null) {
      reading.observedValue = responseTimeMs;
      reading.observedUnit = 'ms';
    }
    reading.status = status;
    if (check.lastCheckedAt !== null) reading.time = check.lastCheckedAt;
    if (answer.admitted && status !== 'pass') {
      const output = check.message ?? (check.status === 'unknown' ? 'no result yet' : null);
      if (output !== null) reading.output = output;
    }
    checks[`${check.name}:responseTime`] = [reading as unknown as HealthJsonCheck];
    if (answer.admitted && check.history) addHistory(checks, check, check.history, answer.at);
    if (answer.admitted && check.data) addMeasurements(checks, check);
  }
  const notes = [...answer.reasons.map((reason) => REASON_NOTES[reason]), ...answer.warnings];
  const body: Record<string, unknown> = {
    status: topStatus(answer),
    description: answer.group ?? 'every group',
  };
  if (notes.length > 0) body.notes = notes;
  body.checks = checks;
  return body as unknown as HealthJsonBody;
}

/** The check's own `responseTimeMs` when its data has one, else how long its last run took. */
function responseTimeOf(check: HealthJsonCheckInput): number | null {
  const measured = check.data?.responseTimeMs;
  if (typeof measured === 'number' && Number.isFinite(measured)) return measured;
  return check.durationMs;
}

function topStatus(answer: HealthJsonAnswer): HealthJsonStatus {
  if (!answer.passed) return 'fail';
  return answer.status === 'up' ? 'pass' : 'warn';
}

function checkStatus(check: HealthJsonCheckInput, group: string | null): HealthJsonStatus {
  const status: IndicatorStatus = check.status;
  if (status === 'up') return 'pass';
  if (status === 'degraded') return 'warn';
  if (status === 'down') return 'fail';
  // No result yet: counts as up for liveness only (see aggregateGroup).
  const liveness =
    group === null ? check.groups.every((name) => name === LIVENESS) : group === LIVENESS;
  return liveness ? 'warn' : 'fail';
}

function addHistory(
  checks: Record<string, HealthJsonCheck[]>,
  check: HealthJsonCheckInput,
  history: HealthCheckHistorySummary,
  at: string | undefined,
): void {
  const component = { componentId: check.name, componentType: check.componentType };
  for (const window of ['1h', '24h'] as const) {
    const up = history.uptime[window].up;
    if (up === null) continue;
    checks[`${check.name}:uptime${window}`] = [
      {
        ...component,
        observedValue: up,
        observedUnit: 'percent',
        ...(at === undefined ? {} : { time: at }),
      },
    ];
  }
  if (history.lastUp !== null) {
    checks[`${check.name}:lastUp`] = [{ ...component, status: 'pass', time: history.lastUp }];
  }
  if (history.lastDown !== null) {
    checks[`${check.name}:lastDown`] = [{ ...component, status: 'fail', time: history.lastDown }];
  }
}

function addMeasurements(checks: Record<string, HealthJsonCheck[]>, check: HealthJsonCheckInput) {
  for (const [key, value] of Object.entries(check.data ?? {})) {
    // responseTimeMs is the value of <name>:responseTime already (see responseTimeOf).
    if (key === 'responseTimeMs' || typeof value !== 'number' || !Number.isFinite(value)) continue;
    const unit = UNIT_SUFFIXES.find(
      ([suffix]) => key.length > suffix.length && key.endsWith(suffix),
    );
    if (!unit) continue;
    // usedMemoryBytes → "redis:usedMemory"; then usedMemoryPercent → "redis:usedMemoryPercent".
    const short = `${check.name}:${key.slice(0, -unit[0].length)}`;
    const name = Object.prototype.hasOwnProperty.call(checks, short)
      ? `${check.name}:${key}`
      : short;
    const reading: HealthJsonCheck = {
      componentId: check.name,
      componentType: check.componentType,
      observedValue: value,
      observedUnit: unit[1],
    };
    checks[name] = [
      check.lastCheckedAt === null ? reading : { ...reading, time: check.lastCheckedAt },
    ];
  }
}

/**
 * Whether an `Accept` header asks for `application/health+json` over `application/json`: it
 * names `application/health+json` (any case) with a non-zero `q`, no lower than the `q` that
 * `application/json` gets (from `application/json`, `application/*` or `*\/*`, the most specific
 * that is present).
 *
 * A header that does not contain `health+json` is decided by one scan of the string, so the
 * probes' fast path stays cheap.
 *
 * @param accept - the `Accept` header, as Node gives it (a string, or undefined).
 * @internal
 */
export function acceptsHealthJson(accept: unknown): boolean {
  if (typeof accept !== 'string' || !/health\+json/i.test(accept)) return false;
  let healthJson = -1;
  let json = -1;
  let applicationAny = -1;
  let any = -1;
  for (const range of accept.split(',')) {
    const [type = '', ...parameters] = range.split(';');
    const q = qualityOf(parameters);
    switch (type.trim().toLowerCase()) {
      case HEALTH_JSON_MEDIA_TYPE:
        healthJson = Math.max(healthJson, q);
        break;
      case 'application/json':
        json = Math.max(json, q);
        break;
      case 'application/*':
        applicationAny = Math.max(applicationAny, q);
        break;
      case '*/*':
        any = Math.max(any, q);
        break;
    }
  }
  const jsonQuality = json >= 0 ? json : applicationAny >= 0 ? applicationAny : any;
  return healthJson > 0 && healthJson >= jsonQuality;
}

function qualityOf(parameters: readonly string[]): number {
  for (const parameter of parameters) {
    const [name, value] = parameter.split('=');
    if (name?.trim().toLowerCase() !== 'q') continue;
    const q = Number(value?.trim());
    return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 1;
  }
  return 1;
}
