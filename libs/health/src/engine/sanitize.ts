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
