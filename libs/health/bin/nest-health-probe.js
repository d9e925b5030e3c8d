#!/usr/bin/env node
// nest-health-probe: GET a health endpoint; exit 0 on a 2xx answer, 1 otherwise, with one line
// of reason on stderr. For a Docker HEALTHCHECK in an image without curl or wget (distroless):
//
//   HEALTHCHECK CMD ["/nodejs/bin/node", "node_modules/nest-health/bin/nest-health-probe.js",
//                    "http://127.0.0.1:3000/health/live", "--timeout", "2s"]
//
// Plain Node (>= 20), no dependencies: node:http / node:https. Each run opens one connection and
// closes it (no keep-alive), as the kubelet's HTTP probe does.
'use strict';

const http = require('node:http');
const https = require('node:https');

const NAME = 'nest-health-probe';
const DEFAULT_TIMEOUT_MS = 2000;
const USAGE = `usage: ${NAME} <url> [--timeout <duration>]   (duration: 500ms, 2s, or seconds; default 2s)`;
const HELP = `${USAGE}

GETs <url> once (one connection, no keep-alive) and exits with its verdict, for a Docker
HEALTHCHECK in an image without curl or wget.

Options:
  -t, --timeout <duration>  for the whole exchange, connection included (500ms, 2s, or seconds;
                            default 2s, at most 1 hour)
  -h, --help                print this help and exit

Exit status: 0 when the answer is 2xx; 1 otherwise (another status, a timeout, a refused
connection, invalid arguments), with one line of reason on stderr.
`;

/**
 * Reads a duration: `250ms`, `2s`, `1.5s`, or a bare number of seconds.
 * @param {string} text
 * @returns {number | undefined} milliseconds, or undefined when invalid
 */
function parseDuration(text) {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(String(text).trim());
  if (!match) return undefined;
  const value = Number(match[1]) * (match[2] === 'ms' ? 1 : 1000);
  return value >= 1 && value <= 3_600_000 ? Math.round(value) : undefined;
}

/**
 * @param {string[]} argv - the arguments after the script
 * @returns {{ url: URL, timeoutMs: number } | { help: true } | { error: string }}
 */
function parseArgs(argv) {
  let target;
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') return { help: true };
    let duration;
    if (arg === '--timeout' || arg === '-t') duration = argv[(i += 1)];
    else if (arg.startsWith('--timeout=')) duration = arg.slice('--timeout='.length);
    else if (arg.startsWith('-')) return { error: `unknown option ${arg}; ${USAGE}` };
    else if (target === undefined) {
      target = arg;
      continue;
    } else return { error: `unexpected argument ${arg}; ${USAGE}` };
    timeoutMs = parseDuration(duration ?? '');
    if (timeoutMs === undefined) {
      return { error: `invalid --timeout ${JSON.stringify(duration ?? '')}; ${USAGE}` };
    }
  }
  if (target === undefined) return { error: USAGE };
  let url;
  try {
    url = new URL(target);
  } catch {
    return { error: `invalid URL ${JSON.stringify(redact(target))}; ${USAGE}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { error: `unsupported protocol ${url.protocol} (http: or https:)` };
  }
  return { url, timeoutMs };
}

/** The URL without its password, for messages. */
function redact(text) {
  return String(text).replace(/\/\/([^/@\s:]*):[^/\s]*@/, '//$1:***@');
}

/**
 * GETs the URL once.
 * @param {URL} url
 * @param {number} timeoutMs - for the whole exchange, connection included
 * @returns {Promise<{ ok: boolean, reason?: string }>}
 */
function probe(url, timeoutMs) {
  return new Promise((resolve) => {
    const client = url.protocol === 'https:' ? https : http;
    const shown = redact(url.href);
    let settled = false;
    const finish = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(result);
    };
    const request = client.get(
      url,
      { agent: false, headers: { 'user-agent': NAME, accept: 'application/json, */*' } },
      (response) => {
        const code = response.statusCode ?? 0;
        response.resume();
        if (code >= 200 && code < 300) finish({ ok: true });
        else {
          const reason = `${shown} answered ${code} ${response.statusMessage ?? ''}`.trim();
          finish({ ok: false, reason });
        }
      },
    );
    const timer = setTimeout(
      () => finish({ ok: false, reason: `${shown} did not answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    request.on('error', (error) => {
      // A refused connection to a name with two addresses is an AggregateError with no message.
      const detail = error.message || error.code || String(error);
      finish({ ok: false, reason: `${shown} failed: ${redact(detail)}` });
    });
  });
}

async function main() {
  const parsed = parseArgs(process.argv.slice(2));
  if ('help' in parsed) {
    process.stdout.write(HELP);
    process.exitCode = 0;
    return;
  }
  if ('error' in parsed) {
    process.stderr.write(`${NAME}: ${parsed.error}\n`);
    process.exitCode = 1;
    return;
  }
  const result = await probe(parsed.url, parsed.timeoutMs);
  if (!result.ok) process.stderr.write(`${NAME}: unhealthy: ${result.reason}\n`);
  process.exitCode = result.ok ? 0 : 1;
}

if (require.main === module) void main();

module.exports = { parseDuration, parseArgs, probe };
