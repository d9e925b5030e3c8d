// The floor of the stream benchmark: a bare node:http server that does only what a stream must
// (headers, a snapshot, one pre-serialized change frame written to every open response). Same
// protocol as stream-server.cjs: POST /flip, GET /health/ready makes the change, POST /gc.
'use strict';
const http = require('node:http');

const streams = new Set();
let up = true;
let id = 0;

const server = http.createServer((req, res) => {
  if (req.url === '/health/stream') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    // Headers on their own, as nest-health sends them: the head Node keeps is then one flat string.
    res.flushHeaders();
    res.write(`retry: 3000\nevent: snapshot\nid: ${++id}\ndata: {"status":"up","checks":{}}\n\n`);
    streams.add(res);
    res.once('close', () => streams.delete(res));
    return;
  }
  if (req.method === 'POST' && req.url === '/flip') {
    up = !up;
    return res.end(JSON.stringify({ up }));
  }
  if (req.method === 'POST' && req.url === '/gc') {
    global.gc?.();
    return res.end('{}');
  }
  if (req.url === '/health/ready') {
    const status = up ? 'up' : 'down';
    const frame = `event: change\nid: ${++id}\ndata: ${JSON.stringify({ kind: 'indicator', name: 'flip', current: status })}\n\n`;
    for (const stream of streams) stream.write(frame);
    return res.end(JSON.stringify({ status }));
  }
  res.statusCode = 404;
  res.end();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`ready ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
