/**
 * The rules of the IETF draft "Health Check Response Format for HTTP APIs"
 * (draft-inadarei-api-health-check-06), written out from its field definitions, for specs to
 * check an `application/health+json` answer against. Each rule cites its section.
 *
 * `violationsOfHealthJsonDraft` returns every rule an answer breaks (MUST and SHOULD), so that a
 * failing spec says which.
 */

/** Status values of §3.1: `pass`, `fail`, `warn`, and the aliases it accepts (case-insensitive). */
const PASS = ['pass', 'ok', 'up'];
const FAIL = ['fail', 'error', 'down'];
const WARN = ['warn'];

/** §4.2: the pre-defined `componentType` values. */
const COMPONENT_TYPES = ['component', 'datastore', 'system'];

/** §3 top-level fields and §4 component-details fields, with the JSON type each one has. */
const TOP_LEVEL_STRINGS = ['version', 'releaseId', 'output', 'serviceId', 'description'];
const DETAIL_STRINGS = ['componentId', 'componentType', 'observedUnit', 'output'];

/** ISO 8601 date-time, as §4.7 asks for `time` (RFC 3339 profile). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function statusKind(value: unknown): 'pass' | 'fail' | 'warn' | undefined {
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  if (PASS.includes(lower)) return 'pass';
  if (FAIL.includes(lower)) return 'fail';
  if (WARN.includes(lower)) return 'warn';
  return undefined;
}

/** Whether `value` parses as a URI; relative references only when `relative` is allowed. */
function isUri(value: unknown, relative = false): boolean {
  if (typeof value !== 'string') return false;
  try {
    new URL(value, relative ? 'http://relative.invalid/' : undefined);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every rule of the draft that an answer breaks.
 *
 * @param answer - the HTTP status code, the `Content-Type` header and the parsed body.
 * @returns one line per violation, naming the section and the field; empty when it conforms.
 */
export function violationsOfHealthJsonDraft(answer: {
  readonly statusCode: number;
  readonly contentType: string | undefined;
  readonly body: unknown;
}): string[] {
  const problems: string[] = [];
  const { body, statusCode } = answer;

  // §3, §7: the media type.
  const mediaType = answer.contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/health+json') {
    problems.push(`§3: Content-Type is "${answer.contentType}", not application/health+json`);
  }
  if (!isObject(body)) return [...problems, '§3: the body is not a JSON object'];

  // §3.1: status is required; pass/warn with 2xx-3xx, fail with 4xx-5xx.
  const status = statusKind(body.status);
  if (status === undefined) {
    problems.push(`§3.1: status ${JSON.stringify(body.status)} is not pass, fail or warn`);
  } else if (status === 'fail' && (statusCode < 400 || statusCode > 599)) {
    problems.push(`§3.1: status "fail" with HTTP ${statusCode} (MUST be 4xx-5xx)`);
  } else if (status !== 'fail' && (statusCode < 200 || statusCode > 399)) {
    problems.push(`§3.1: status "${status}" with HTTP ${statusCode} (MUST be 2xx-3xx)`);
  }

  // §3.2-§3.9: the optional top-level fields and their types.
  for (const field of TOP_LEVEL_STRINGS) {
    if (field in body && typeof body[field] !== 'string') {
      problems.push(`§3: ${field} is not a string`);
    }
  }
  if ('notes' in body) {
    const notes = body.notes;
    if (!Array.isArray(notes) || notes.some((note) => typeof note !== 'string')) {
      problems.push('§3.4: notes is not an array of strings');
    }
  }
  if (status === 'pass' && 'output' in body) {
    problems.push('§3.5: output SHOULD be omitted for "pass"');
  }
  if ('links' in body) problems.push(...linkViolations('§3.7', body.links));

  // §4: checks is an object whose values are arrays of component-details objects.
  if (!('checks' in body)) return problems;
  if (!isObject(body.checks)) return [...problems, '§3.6: checks is not an object'];
  for (const [key, details] of Object.entries(body.checks)) {
    // §4: "{componentName}:{measurementName}", neither part containing a colon.
    const parts = key.split(':');
    if (parts.length > 2) problems.push(`§4: key "${key}" has more than one colon`);
    const componentName = parts.length === 2 ? parts[0] : key;
    if (!Array.isArray(details)) {
      problems.push(`§4: checks["${key}"] is not an array`);
      continue;
    }
    details.forEach((detail: unknown, index) => {
      const where = `checks["${key}"][${index}]`;
      if (!isObject(detail)) {
        problems.push(`§4: ${where} is not an object`);
        return;
      }
      if (Object.keys(detail).length === 0) problems.push(`§4: ${where} SHOULD have a key`);
      for (const field of DETAIL_STRINGS) {
        if (field in detail && typeof detail[field] !== 'string') {
          problems.push(`§4: ${where}.${field} is not a string`);
        }
      }
      // §4.2: componentType SHOULD be present with a componentName; pre-defined values.
      if (componentName !== '' && !('componentType' in detail)) {
        problems.push(`§4.2: ${where} has a componentName but no componentType`);
      }
      if (
        typeof detail.componentType === 'string' &&
        !COMPONENT_TYPES.includes(detail.componentType) &&
        !isUri(detail.componentType)
      ) {
        problems.push(`§4.2: ${where}.componentType "${detail.componentType}" is not defined`);
      }
      // §4.3, §4.4: observedValue is any JSON value; observedUnit SHOULD come with it.
      if ('observedValue' in detail && !('observedUnit' in detail)) {
        problems.push(`§4.4: ${where} has an observedValue without an observedUnit`);
      }
      if ('observedUnit' in detail && !('observedValue' in detail)) {
        problems.push(`§4.4: ${where} has an observedUnit without an observedValue`);
      }
      // §4.5: status as §3.1.
      const detailStatus = statusKind(detail.status);
      if ('status' in detail && detailStatus === undefined) {
        problems.push(`§4.5: ${where}.status ${JSON.stringify(detail.status)} is not valid`);
      }
      // §4.6: affectedEndpoints, an array of URI templates, omitted for "pass".
      if ('affectedEndpoints' in detail) {
        const endpoints = detail.affectedEndpoints;
        if (!Array.isArray(endpoints) || endpoints.some((e) => typeof e !== 'string')) {
          problems.push(`§4.6: ${where}.affectedEndpoints is not an array of strings`);
        }
        if (detailStatus === 'pass') {
          problems.push(`§4.6: ${where}.affectedEndpoints SHOULD be omitted for "pass"`);
        }
      }
      // §4.7: time, ISO 8601.
      if ('time' in detail && (typeof detail.time !== 'string' || !DATE_TIME.test(detail.time))) {
        problems.push(`§4.7: ${where}.time ${JSON.stringify(detail.time)} is not ISO 8601`);
      }
      // §4.8: output SHOULD be omitted for "pass".
      if (detailStatus === 'pass' && 'output' in detail) {
        problems.push(`§4.8: ${where}.output SHOULD be omitted for "pass"`);
      }
      if ('links' in detail) problems.push(...linkViolations(`§4.9: ${where}`, detail.links));
    });
  }
  return problems;
}

/** §3.7: links is an object whose values are URIs. */
function linkViolations(where: string, links: unknown): string[] {
  if (!isObject(links)) return [`${where}: links is not an object`];
  return Object.entries(links)
    .filter(([, uri]) => !isUri(uri, true))
    .map(([rel]) => `${where}: links["${rel}"] is not a URI`);
}
