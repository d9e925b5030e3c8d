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
 * Words whose presence anywhere in a key (case-insensitive, separators ignored) names a secret:
 * `dbPassword`, `DB_PASSWORD`, `x-api-key`, `client_secret`, `set-cookie`, `privateKey`.
 */
const SECRET_KEY_STEMS =
  /password|passwd|passphrase|secret|credential|apikey|accesskey|privatekey|authorization|cookie/;

/** Words that name a secret as a whole word of a key: `pwd`, `DB_PWD`. */
const SECRET_KEY_WORDS: ReadonlySet<string> = new Set(['pwd']);

/**
 * Words that name a secret only as the last word of a key (`token`, `accessToken`,
 * `x-auth-token`, `tokens`, `pass`, `auth`), since as a first word they usually qualify
 * something else (`tokenCount`, `tokenExpiresAt`, `passRate`, `authMethod`).
 */
const SECRET_KEY_LAST_WORDS: ReadonlySet<string> = new Set(['token', 'tokens', 'pass', 'auth']);

/**
 * How a key names a secret:
 * - `'always'`: its value is a secret whatever it is but a boolean or `null` (a password may be
 *   a number);
 * - `'text'`: its value is a secret when it is a string, an array or an object; a number, a
 *   boolean or `null` is kept, as a count or a flag (`tokens: 5`, `auth: true`);
 * - `null`: not a secret's name.
 */
type SecretKeyKind = 'always' | 'text' | null;

/** The words of a key: split at separators and camelCase humps, lowercase. */
function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * Whether a key (of indicator data, or before `=` / `:` in a text) names a secret. The rule,
 * case-insensitive:
 *
 * - it contains one of password, passwd, passphrase, secret, credential, apikey, accesskey,
 *   privatekey, authorization, cookie, separators ignored (`dbPassword`, `DB_PASSWORD`,
 *   `x-api-key`, `api_key`, `client_secret`, `set-cookie`, `credentials`): `'always'`;
 * - or one of its words is `pwd`: `'always'`;
 * - or its last word is token, tokens, pass or auth (`token`, `accessToken`, `refresh_token`,
 *   `x-auth-token`, `auth`): `'text'`;
 * - anything else is not a secret's name: `passed`, `tokenCount`, `tokenizer`, `bypass`.
 *
 * Words are split at `-`, `_`, `.`, spaces and camelCase humps.
 *
 * @internal
 */
export function secretKeyKind(key: string): SecretKeyKind {
  const words = keyWords(key);
  if (words.length === 0) return null;
  if (SECRET_KEY_STEMS.test(words.join(''))) return 'always';
  if (words.some((word) => SECRET_KEY_WORDS.has(word))) return 'always';
  if (SECRET_KEY_LAST_WORDS.has(words[words.length - 1])) return 'text';
  return null;
}

/**
 * Splits a value matched up to the next space or delimiter into the value and the closing
 * brackets that belong to the text around it: in `(password=hunter2)` or `{pwd: x}`, the `)`
 * and `}` close what the text opened, not the secret, and stay.
 */
function splitClosers(value: string): [string, string] {
  let end = value.length;
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{', '>': '<' };
  while (end > 0) {
    const closer = value[end - 1];
    const opener = pairs[closer];
    if (opener === undefined) break;
    const body = value.slice(0, end);
    if (body.split(closer).length <= body.split(opener).length) break;
    end -= 1;
  }
  return [value.slice(0, end), value.slice(end)];
}

/** `***`, keeping the quotes of a quoted value and the closers that are not the value's. */
function redactedValue(value: string): string {
  const quote = value[0];
  if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
    return `${quote}${REDACTED}${quote}`;
  }
  return `${REDACTED}${splitClosers(value)[1]}`;
}

/** A bare number or a boolean or null: a count or a flag, not a secret, for `'text'` keys. */
const COUNT_OR_FLAG = /^["']?(?:-?\d+(?:\.\d+)?|true|false|null)["']?$/;

/**
 * `key=value`, `key: value` and `"key":"value"` pairs, in text, JSON, util.inspect output and
 * URL query strings (`?access_token=…&x=1`). The key is judged by {@link secretKeyKind}.
 */
const KEY_VALUE =
  /(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]{0,127})(["']?\s*[=:]\s*)("[^"]{0,2048}"|'[^']{0,2048}'|[^\s"',;&]{1,1024})/g;

/**
 * Redacts the value of each pair of {@link KEY_VALUE} whose key names a secret. A pair whose key
 * does not is not consumed: its value may hold a pair of its own (`failed: password=x`), so the
 * search goes on right after its separator. The lengths in the pattern are bounded, so this
 * stays linear in the text's length.
 */
function redactPairs(text: string): string {
  const pattern = new RegExp(KEY_VALUE.source, 'g');
  let out = '';
  let copied = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    const [whole, key, separator, value] = match;
    const redacted = redactedPair(key, separator, value);
    if (redacted === undefined) {
      pattern.lastIndex = match.index + key.length + separator.length;
      continue;
    }
    out += text.slice(copied, match.index) + redacted;
    copied = match.index + whole.length;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** The pair with its value redacted, or `undefined` when it holds no secret. */
function redactedPair(key: string, separator: string, value: string): string | undefined {
  const kind = secretKeyKind(key);
  if (kind === null) return undefined;
  if (kind === 'text' && COUNT_OR_FLAG.test(value)) return undefined;
  // Redacted already (by a rule above, or when the message was recorded): what follows the
  // marker is the text's own (`***}`, `***#fragment`), so redacting again changes nothing.
  if (value.startsWith(REDACTED)) return undefined;
  return `${key}${separator}${redactedValue(value)}`;
}

/** A query parameter of a URL: `?name=value` or `&name=value`, up to the next `&` or `#`. */
const URL_PARAMETER = /([?&])([A-Za-z0-9_.~%[\]-]{1,128})=([^&#?\s"'<>]*)/g;

function redactUrlParameter(match: string, lead: string, name: string, value: string): string {
  let key = name;
  try {
    key = decodeURIComponent(name);
  } catch {
    // a malformed escape: judge the name as it is
  }
  const kind = secretKeyKind(key);
  if (kind === null || value === '' || (kind === 'text' && COUNT_OR_FLAG.test(value))) {
    return match;
  }
  // Redacted already (by the key=value rule: `?password=<)` → `?password=***)`): what follows
  // the marker is the text's own, so redacting again changes nothing.
  if (value.startsWith(REDACTED)) return match;
  return `${lead}${name}=${REDACTED}`;
}

/**
 * Patterns of secrets that error messages carry in practice: drivers echo connection strings
 * (`postgres://user:password@host`, `redis://:password@host`), key=value connection settings,
 * and HTTP clients echo headers. Each keeps the syntax around the secret (quotes, brackets).
 */
const SECRET_PATTERNS: ReadonlyArray<readonly [RegExp, string | ((...args: string[]) => string)]> =
  [
    // userinfo of any URL: scheme://user:password@host → scheme://user:***@host; the password
    // runs to the last "@" before the host, so a raw "@" in it (common, though it should be %40)
    // is covered too; it stops at quotes, so a URL inside JSON does not take the text after it
    [/\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/"'<>]*):([^\s/"'<>]+)@/gi, `$1$2:${REDACTED}@`],
    // Authorization / Proxy-Authorization headers, whatever the scheme
    [
      /\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)((?:[A-Za-z]+\s+)?[^\s"',;]+)/gi,
      (_match: string, name: string, separator: string, value: string) =>
        `${name}${separator}${REDACTED}${splitClosers(value)[1]}`,
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
    // URL query parameters whose name names a secret (`?password=…`, `&access_token=…`); before
    // the key=value pairs, which would take a whole URL as the value of `https:`
    [URL_PARAMETER, redactUrlParameter],
  ];

/**
 * Replaces credentials in a text by `***`, keeping the syntax around them (quotes, brackets,
 * separators), so that redacting twice changes nothing:
 *
 * - the password of any URL (`postgres://app:***@db/app`);
 * - `Authorization` / `Proxy-Authorization` header values, bearer and basic tokens, JWT-like
 *   strings;
 * - the arguments of a Redis `AUTH` / `HELLO` command that ioredis attaches to its errors;
 * - the value of every `key=value`, `key: value` or `"key":"value"` pair, URL query parameters
 *   included, whose key names a secret (`password`, `dbPassword`, `x-api-key`, `access_token`,
 *   `client_secret`, `set-cookie`, …: a key containing password, passwd, passphrase, secret,
 *   credential, apikey, accesskey, privatekey, authorization or cookie, or whose last word is
 *   token, tokens, pass or auth).
 *
 * @param text - any text that may leave the process (a message, a log line, a string in data).
 * @returns the text with secrets replaced.
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) {
    out =
      typeof replacement === 'string'
        ? out.replace(pattern, replacement)
        : out.replace(pattern, replacement as (substring: string, ...args: unknown[]) => string);
  }
  // key=value and key: value pairs whose key names a secret
  return redactPairs(out);
}

/**
 * Longest part of a message that is read (redacted, then folded and cut): room for a message
 * of {@link MAX_MESSAGE_LENGTH} characters after a lot of whitespace, and no megabyte of pattern
 * matching for a check that throws a megabyte.
 */
const MESSAGE_SCAN_LENGTH = 8_192;

/**
 * Makes a message safe to show: secrets redacted, whitespace folded to single spaces (no
 * multi-line stack traces), cut to {@link MAX_MESSAGE_LENGTH} characters.
 */
export function sanitizeMessage(text: string): string {
  const head = text.length > MESSAGE_SCAN_LENGTH ? text.slice(0, MESSAGE_SCAN_LENGTH) : text;
  const folded = redactSecrets(head).replace(CONTROL_OR_SPACE, ' ').trim();
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

/**
 * Longest part of a data string that is redacted before the cut: a secret that straddles
 * {@link MAX_DATA_STRING_LENGTH} is redacted whole rather than cut in half, and a megabyte
 * string costs no megabyte of pattern matching.
 */
const REDACTED_PREFIX_LENGTH = 4 * MAX_DATA_STRING_LENGTH;

/**
 * A string kept in data: secrets redacted ({@link redactSecrets}), cut to
 * {@link MAX_DATA_STRING_LENGTH} and to what is left.
 */
function keepString(text: string, budget: Budget): string | undefined {
  return keepRedacted(
    redactSecrets(
      text.length > REDACTED_PREFIX_LENGTH ? text.slice(0, REDACTED_PREFIX_LENGTH) : text,
    ),
    budget,
  );
}

/** A string that needs no redaction (a marker of the engine's own), cut to what is left. */
function keepRedacted(text: string, budget: Budget): string | undefined {
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

/**
 * Whether the value of a key of `kind` is replaced by `***`: every value of a secret's name but
 * booleans, `null` and what JSON leaves out; for a `'text'` name, numbers are kept too (counts).
 */
function isSecretValue(kind: SecretKeyKind, value: unknown): boolean {
  if (kind === null || value === null) return false;
  switch (typeof value) {
    case 'boolean':
    case 'undefined':
    case 'function':
    case 'symbol':
      return false;
    case 'number':
    case 'bigint':
      return kind === 'always';
    default:
      return true;
  }
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
      return keepRedacted(value.toString(), budget);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return spend(budget, 4) ? null : undefined;
  const object = value as object;
  if (ancestors.has(object)) return keepRedacted('[Circular]', budget);
  if (depth >= MAX_DATA_DEPTH) return keepRedacted('[Too deep]', budget);
  let isError: boolean;
  try {
    isError = object instanceof Error;
  } catch {
    return keepRedacted('[Unreadable]', budget); // a revoked proxy
  }
  if (isError) return keepRedacted(messageFromError(object), budget);
  const toJSON = read(object, 'toJSON');
  if (typeof toJSON === 'function') {
    let replaced: unknown;
    try {
      replaced = (toJSON as (this: unknown) => unknown).call(object);
    } catch {
      return keepRedacted('[Unserializable]', budget);
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
    if (budget.full || key.length > MAX_DATA_STRING_LENGTH) {
      budget.full = true;
      define(out, MORE, `${keys.length - index} more keys`);
      break;
    }
    // A key may be a URL (data keyed by connection string): it is redacted as a string is.
    const shownKey = redactSecrets(key);
    const keyBytes = jsonStringBytes(shownKey) + 2;
    if (!spend(budget, keyBytes)) {
      define(out, MORE, `${keys.length - index} more keys`);
      break;
    }
    const value = read(object, key);
    const copied = isSecretValue(secretKeyKind(shownKey), value)
      ? keepRedacted(REDACTED, budget)
      : copyValue(value, depth + 1, ancestors, budget);
    if (copied !== undefined) {
      define(out, shownKey, copied);
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
 * result is recorded, with secrets redacted, of at most {@link MAX_DATA_BYTES} bytes of JSON.
 * Every reader of the result (`GET /health`, the probes' `?verbose`, the health+json and
 * Terminus formats, the stream, metrics, logs, change hooks) gets this copy. It never throws:
 *
 * - at any depth, the value of a key that names a secret (the rule of {@link secretKeyKind}:
 *   `password`, `dbPassword`, `passwd`, `pwd`, `secret`, `client_secret`, `token`,
 *   `accessToken`, `apiKey`, `api_key`, `x-api-key`, `authorization`, `cookie`, `set-cookie`,
 *   `credentials`, …) becomes `"***"`, whatever it is (a string, an object, an array) but a
 *   boolean or `null`; a number is kept under `token`, `tokens`, `pass` and `auth` (a count);
 * - every string, and every key, has its secrets redacted as a message's are
 *   ({@link redactSecrets}): the password of any URL, and URL query parameters named like a
 *   secret (`?password=`, `?access_token=`);
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
