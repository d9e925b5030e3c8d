import type { ServerResponse } from 'node:http';
import type { HealthProbeQuery, HealthDetailsQuery } from './health-probe.query';

/**
 * One answer of a health endpoint, whatever carries it (a Nest route on Express or Fastify, the
 * fast path, the probe port): the HTTP status code, the headers, and the body.
 *
 * @internal
 */
export interface HealthAnswer {
  /** The HTTP status code: 200, 503 (or as `httpStatus` maps the group's status), 404, 400. */
  readonly statusCode: number;
  /**
   * Every header of the answer but `Content-Length`: `Cache-Control: no-store`, `Content-Type`,
   * and `X-Content-Type-Options: nosniff` for plain text.
   */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The body: text already serialized (a plain probe's JSON, a verbose answer), or a JSON value
   * that the transport serializes with `JSON.stringify` (as Express and Fastify do).
   */
  readonly body: string | object;
  /** UTF-8 bytes of a text `body`, when known already (a plain probe's, from its cache). */
  readonly byteLength?: number;
}

/**
 * What the answer layer needs to know of the caller, on any transport.
 *
 * @internal
 */
export interface HealthCaller {
  /** The request's headers, names in lower case (as Node gives them); `accept` picks the format. */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * Whether the details policy admits the caller (loopback under `'local'`, `authorize`). Asked
   * only when the answer depends on it (`?verbose`, `?fresh`, `GET /<path>`, other formats):
   * plain probes never ask.
   */
  admitted(): boolean | Promise<boolean>;
}

/**
 * The query of a probe: its validated parameters, or `undefined` for a URL without a query
 * string (a plain probe, answered from the snapshot without asking the details policy).
 *
 * @internal
 */
export type ProbeAnswerQuery = HealthProbeQuery | undefined;

/** The query of `GET /<path>`; `undefined` for none. @internal */
export type DetailsAnswerQuery = HealthDetailsQuery | undefined;

/** `Cache-Control: no-store`, on every answer. @internal */
export const NO_STORE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'no-store',
});

/**
 * The body of an answer as bytes on the wire: text as it is, a JSON value serialized as Express
 * and Fastify serialize it (`JSON.stringify`, no spaces).
 *
 * @internal
 */
export function answerText(answer: HealthAnswer): string {
  return typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
}

/**
 * Writes an answer on a Node response (the fast path, the probe port): its status code, its
 * headers with `Content-Length`, and its body (none for `HEAD`).
 *
 * @internal
 */
export function writeAnswer(response: ServerResponse, answer: HealthAnswer, head = false): void {
  const body = answerText(answer);
  const headers: Record<string, string | number> = { ...answer.headers };
  headers['Content-Length'] =
    typeof answer.body === 'string' && answer.byteLength !== undefined
      ? answer.byteLength
      : Buffer.byteLength(body);
  response.writeHead(answer.statusCode, headers);
  response.end(head ? undefined : body);
}
