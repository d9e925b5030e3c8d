// A TCP proxy that delays every chunk the server sends by a fixed time, in order: a dependency
// that answers in N ms. Used by probes.bench.mjs as its own process, so that forwarding costs
// nothing to the load generator.
//   node bench/latency-proxy.mjs <upstream port> <delay ms>
// Prints "ready <port>" once it listens on 127.0.0.1.
import { connect, createServer } from 'node:net';

const upstreamPort = Number(process.argv[2]);
const delayMs = Number(process.argv[3] ?? 50);

const server = createServer((client) => {
  const upstream = connect({ host: '127.0.0.1', port: upstreamPort });
  client.pipe(upstream);
  // Each chunk leaves delayMs after it arrived; timers of equal delay fire in order.
  upstream.on('data', (chunk) => setTimeout(() => client.write(chunk), delayMs));
  upstream.on('end', () => setTimeout(() => client.end(), delayMs));
  const drop = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', drop);
  upstream.on('error', drop);
  client.on('close', drop);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`ready ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
