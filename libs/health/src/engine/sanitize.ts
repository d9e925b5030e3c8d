/**
 * Longest message the engine keeps, in characters. Longer ones are cut with "…": a health
 * message is a reason, not a stack trace, and it travels in every probe answer and event.
 */
export const MAX_MESSAGE_LENGTH = 300;

const REDACTED = '***';

// Whitespace and C0 control characters, folded to one space.
// eslint-disable-next-line no-control-regex
const CONTROL_OR_SPACE = /[\s\x00-\x1f\x7f]+/g;

/**
 * Patterns of secrets that error messages carry in practice: drivers echo connection strings
 * (`postgres://user:password@host`, `redis://:password@host`), key=value connection settings,
 * and HTTP clients echo headers.
 */
const SECRET_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // userinfo of any URL: scheme://user:password@host → scheme://user:***@host; the password runs
  // to the last "@" before the host, so a raw "@" in it (common, though it should be %40) is
  // covered too
  [/\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/]*):([^\s/]+)@/gi, `$1$2:${REDACTED}@`],
  // Authorization / Proxy-Authorization headers, whatever the scheme
  [
    /\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)(?:[A-Za-z]+\s+)?[^\s"',;]+/gi,
    `$1$2${REDACTED}`,
  ],
  // Bearer / Basic credentials on their own
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/-]+=*/g, `$1 ${REDACTED}`],
  // JWT-like strings: three base64url parts, the first starting with {" encoded
  [/\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Redis AUTH / HELLO commands as ioredis attaches them to a reply error (`command: { name:
  // 'auth', args: [ 'user', 'password' ] }`), in util.inspect or JSON form: every argument goes
  [
    /(\bname["']?\s*:\s*["'](?:auth|hello)["']\s*,\s*["']?args["']?\s*:\s*\[)[^\]]*\]/gi,
    `$1${REDACTED}]`,
  ],
  // key=value and key: value pairs whose key names a secret
  [
    /\b(password|passwd|pwd|pass|secret|client_secret|token|access_token|api[_-]?key|access[_-]?key|auth)(["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s"',;&]+)/gi,
    `$1$2${REDACTED}`,
  ],
];

/**
 * Replaces credentials in a text by `***`: URL passwords, `Authorization` header values,
 * bearer and basic tokens, JWT-like strings, the arguments of a Redis `AUTH` / `HELLO` command
 * that ioredis attaches to its errors, and `password=` / `pwd=` / `token=` style pairs.
 *
 * @param text - any text that may leave the process (a message, a log line).
 * @returns the text with secrets replaced.
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * Makes a message safe to show: secrets redacted, whitespace folded to single spaces (no
 * multi-line stack traces), cut to {@link MAX_MESSAGE_LENGTH} characters.
 */
export function sanitizeMessage(text: string): string {
  const folded = redactSecrets(text).replace(CONTROL_OR_SPACE, ' ').trim();
  return folded.length > MAX_MESSAGE_LENGTH
    ? `${folded.slice(0, MAX_MESSAGE_LENGTH - 1)}…`
    : folded;
}

/**
 * A short reason for anything a check threw or rejected with, sanitized. Handles what drivers
 * throw in practice: an `Error` with an empty message but a `code` (Node's `AggregateError` for a
 * refused connection to a host with two addresses), an `AggregateError` with inner errors,
 * strings, and non-Error values.
 */
export function messageFromError(error: unknown): string {
  return sanitizeMessage(rawMessage(error, 0) || 'check failed');
}

function rawMessage(error: unknown, depth: number): string {
  if (typeof error === 'string') return error;
  if (error === null || error === undefined) return `threw ${String(error)}`;
  if (typeof error === 'function') return 'threw a function';
  if (typeof error === 'symbol') return `threw ${error.toString()}`;
  if (typeof error === 'bigint') return `threw bigint ${error.toString()}`;
  if (typeof error === 'number' || typeof error === 'boolean') {
    return `threw ${typeof error} ${String(error)}`;
  }
  if (typeof error !== 'object') return 'threw a non-Error value';
  const record = error as { message?: unknown; code?: unknown; errors?: unknown; name?: unknown };
  const message = typeof record.message === 'string' ? record.message.trim() : '';
  if (message) return message;
  if (depth < 2 && Array.isArray(record.errors) && record.errors.length > 0) {
    const inner = rawMessage(record.errors[0], depth + 1);
    if (inner) return inner;
  }
  if (typeof record.code === 'string' && record.code) return record.code;
  // An inner error that says nothing must not hide the outer error's code.
  if (depth > 0) return '';
  if (error instanceof Error) return error.name || 'Error';
  return 'threw a non-Error value';
}

/**
 * Largest `data` the engine keeps for one result: the size of its JSON, in bytes (UTF-8). Data
 * travels in `GET /health` and in every stream event; an indicator that returns more (a whole
 * table, a buffer) has it cut, not sent.
 */
export const MAX_DATA_BYTES = 16 * 1024;

/** Longest string kept in `data`, in characters; longer ones are cut with "…". */
export const MAX_DATA_STRING_LENGTH = 1_000;

/** Deepest nesting kept in `data`; a value deeper down reads `"[Too deep]"`. */
export const MAX_DATA_DEPTH = 8;

/** Room kept for the markers of what was cut, in bytes: one per level at most. */
const MARKER_ROOM_BYTES = 48 * (MAX_DATA_DEPTH + 2);

/** The key an object gets when entries were cut: `{ "…": "12 more keys" }`. */
const MORE = '…';

interface Budget {
  /** Bytes of JSON still allowed. */
  left: number;
  /** Set once something did not fit: containers take no more entries. */
  full: boolean;
}

/** Bytes of `text` serialized as a JSON string. */
function jsonStringBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8');
}

/** Whether a value of `bytes` fits; spends them if so, fills the budget if not. */
function spend(budget: Budget, bytes: number): boolean {
  if (budget.full || bytes > budget.left) {
    budget.full = true;
    return false;
  }
  budget.left -= bytes;
  return true;
}

/** A string kept in data: cut to {@link MAX_DATA_STRING_LENGTH} and to what is left. */
function keepString(text: string, budget: Budget): string | undefined {
  let kept =
    text.length > MAX_DATA_STRING_LENGTH ? `${text.slice(0, MAX_DATA_STRING_LENGTH - 1)}…` : text;
  if (!budget.full && jsonStringBytes(kept) > budget.left) {
    // A JSON string costs at most 6 bytes per character (a \uXXXX escape).
    const chars = Math.floor((budget.left - 8) / 6);
    if (chars > 16) kept = `${kept.slice(0, chars - 1)}…`;
  }
  return spend(budget, jsonStringBytes(kept)) ? kept : undefined;
}

/** Reads `holder[key]`; a getter or proxy that throws reads as `"[Unreadable]"`. */
function read(holder: object, key: string | number): unknown {
  try {
    return (holder as Record<string | number, unknown>)[key];
  } catch {
    return '[Unreadable]';
  }
}

/** Sets an own, enumerable property, whatever its name (`__proto__` included). */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** A JSON value for `value`, or `undefined` for what JSON leaves out (functions, symbols). */
function copyValue(value: unknown, depth: number, ancestors: Set<object>, budget: Budget): unknown {
  switch (typeof value) {
    case 'string':
      return keepString(value, budget);
    case 'number':
      return spend(budget, Number.isFinite(value) ? String(value).length : 4)
        ? Number.isFinite(value)
          ? value + 0 // -0 becomes 0, as JSON writes it
          : null
        : undefined;
    case 'boolean':
      return spend(budget, 5) ? value : undefined;
    case 'bigint':
      return keepString(value.toString(), budget);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return spend(budget, 4) ? null : undefined;
  const object = value as object;
  if (ancestors.has(object)) return keepString('[Circular]', budget);
  if (depth >= MAX_DATA_DEPTH) return keepString('[Too deep]', budget);
  let isError: boolean;
  try {
    isError = object instanceof Error;
  } catch {
    return keepString('[Unreadable]', budget); // a revoked proxy
  }
  if (isError) return keepString(messageFromError(object), budget);
  const toJSON = read(object, 'toJSON');
  if (typeof toJSON === 'function') {
    let replaced: unknown;
    try {
      replaced = (toJSON as (this: unknown) => unknown).call(object);
    } catch {
      return keepString('[Unserializable]', budget);
    }
    if (replaced !== object) return copyValue(replaced, depth, ancestors, budget);
  }
  ancestors.add(object);
  try {
    return Array.isArray(object)
      ? copyArray(object, depth, ancestors, budget)
      : copyObject(object, depth, ancestors, budget);
  } finally {
    ancestors.delete(object);
  }
}

function copyArray(
  array: readonly unknown[],
  depth: number,
  ancestors: Set<object>,
  budget: Budget,
): unknown[] | undefined {
  if (!spend(budget, 2)) return undefined;
  const out: unknown[] = [];
  let length = 0;
  try {
    length = array.length;
  } catch {
    length = 0;
  }
  for (let index = 0; index < length; index += 1) {
    if (budget.full || !spend(budget, 1)) {
      budget.full = true;
      out.push(`${MORE} ${length - index} more items`);
      break;
    }
    const item = copyValue(read(array, index), depth + 1, ancestors, budget);
    if (item === undefined && budget.full) {
      out.push(`${MORE} ${length - index} more items`);
      break;
    }
    // JSON writes null for what it cannot write in an array.
    out.push(item === undefined ? null : item);
  }
  return out;
}

function copyObject(
  object: object,
  depth: number,
  ancestors: Set<object>,
  budget: Budget,
): Record<string, unknown> | undefined {
  if (!spend(budget, 2)) return undefined;
  const out: Record<string, unknown> = {};
  let keys: string[];
  try {
    keys = Object.keys(object);
  } catch {
    keys = [];
  }
  for (let index = 0; index < keys.length; index += 1) {
    const key = keys[index];
    const keyBytes = jsonStringBytes(key) + 2;
    if (budget.full || key.length > MAX_DATA_STRING_LENGTH || !spend(budget, keyBytes)) {
      budget.full = true;
      define(out, MORE, `${keys.length - index} more keys`);
      break;
    }
    const copied = copyValue(read(object, key), depth + 1, ancestors, budget);
    if (copied !== undefined) {
      define(out, key, copied);
    } else if (budget.full) {
      define(out, MORE, `${keys.length - index} more keys`);
      break;
    } else {
      budget.left += keyBytes; // left out, as JSON leaves out functions and symbols
    }
  }
  return out;
}

/**
 * Makes a check's `data` safe to keep and to send: a plain JSON copy, taken once when the
 * result is recorded, of at most {@link MAX_DATA_BYTES} bytes of JSON. It never throws:
 *
 * - strings are cut to {@link MAX_DATA_STRING_LENGTH} characters (with "…"); `bigint` becomes
 *   its decimal string; `NaN` and infinities become `null`; functions, symbols and `undefined`
 *   are left out (`null` in arrays), as `JSON.stringify` does; `toJSON()` is used where there
 *   is one (`Date`), and an `Error` becomes its sanitized message;
 * - a circular reference reads `"[Circular]"`, a value nested deeper than
 *   {@link MAX_DATA_DEPTH} reads `"[Too deep]"`, a property whose getter throws (or a revoked
 *   proxy) reads `"[Unreadable]"`;
 * - once the size is reached, containers take no more entries: an object gets a key `"…"`
 *   (`"12 more keys"`), an array a last item `"… 40 more items"`.
 *
 * @param data - what a check returned as `data` (a plain object).
 * @returns a new plain object; the check's own object is never kept, so changing it later does
 *   not change the recorded result.
 */
export function sanitizeData(data: object): Record<string, unknown> {
  const budget: Budget = { left: MAX_DATA_BYTES - MARKER_ROOM_BYTES, full: false };
  let copied: unknown;
  try {
    copied = copyValue(data, 0, new Set(), budget);
  } catch {
    // Only a hostile object gets here (an Error whose `message` getter throws, say).
    return { [MORE]: '[Unreadable]' };
  }
  return copied !== null && typeof copied === 'object' && !Array.isArray(copied)
    ? (copied as Record<string, unknown>)
    : {};
}
