// The limit of the probe benchmark: a bare node:http server answering a constant JSON body to
// every request, with nothing else loaded. Prints "ready <port>" once it listens on 127.0.0.1.
'use strict';
const { createServer } = require('node:http');

const body = JSON.stringify({ status: 'up' });
const server = createServer((_request, response) => {
  response.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  response.end(body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`ready ${server.address().port}\n`));
process.on('SIGUSR2', () => {
  global.gc?.();
  process.stdout.write(`memory ${JSON.stringify(process.memoryUsage())}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
