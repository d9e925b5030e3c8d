// The limit of the probe benchmark: a bare node:http server answering a constant JSON body to
// every request, with nothing else loaded. Prints "ready <port>" once it listens on 127.0.0.1.
'use strict';
const { createServer } = require('node:http');

//
// With the argument `probe-bytes` it answers the bytes of the module's readiness probe instead
// (the example app's three checks up, a timestamp formatted once per millisecond,
// `Cache-Control: no-store`): what a probe answer costs Node, whatever answers it.
const probeBytes = process.argv[2] === 'probe-bytes';

const body = JSON.stringify({ status: 'up' });
const head = '{"status":"up","group":"readiness","timestamp":"';
const tail =
  '","checks":{"database":{"status":"up"},"redis":{"status":"up"},"queue":{"status":"up"}}}';
let stampedAt = NaN;
let stamp = '';

const server = createServer((_request, response) => {
  if (!probeBytes) {
    response.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(body);
    return;
  }
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = new Date(now).toISOString();
  }
  const probe = head + stamp + tail;
  response.writeHead(200, {
    'Cache-Control': 'no-store',
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': probe.length,
  });
  response.end(probe);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`ready ${server.address().port}\n`));
process.on('SIGUSR2', () => {
  global.gc?.();
  process.stdout.write(`memory ${JSON.stringify(process.memoryUsage())}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
