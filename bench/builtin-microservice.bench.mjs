// microserviceIndicator figures, on real servers, for a Nest ClientProxy of each transport:
// TCP (a Nest TCP microservice started here), Redis (REDIS_HOST:6379), NATS (4222), MQTT
// (Mosquitto, 1883), RMQ (RabbitMQ, 5672, guest/guest). For each: the median check time over 30
// runs, status only (the default) and with `send` (a request/response round trip to a Nest
// microservice of the same transport started here); and, per 1,000 status-only runs, the
// connections opened to the server (counted by a TCP forwarder in front of it, through which the
// client connects: every connection to the server passes it) and the messages the service
// handled. The client's own connections (opened when it connects, before the 1,000 runs) show
// that the forwarder sees them.
//   node bench/builtin-microservice.bench.mjs
// Runs the library from its TypeScript sources (test/helpers/register-typescript.cjs).
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
require('../test/helpers/register-typescript.cjs');
require('reflect-metadata');
const { microserviceIndicator } = require('nest-health');
const { Controller, Logger, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { ClientProxyFactory, MessagePattern, Transport } = require('@nestjs/microservices');
const { firstValueFrom } = require('rxjs');

const HOST = process.env.BENCH_HOST ?? '127.0.0.1';
const RUNS = 30;
const PING = `nest-health-bench.${process.pid}.ping`;
let handled = 0;

class PingController {
  ping(data) {
    handled += 1;
    return { pong: true, data };
  }
}
MessagePattern(PING)(
  PingController.prototype,
  'ping',
  Object.getOwnPropertyDescriptor(PingController.prototype, 'ping'),
);
Controller()(PingController);
class PingModule {}
Module({ controllers: [PingController] })(PingModule);

Logger.overrideLogger(false);

function context() {
  return { signal: AbortSignal.timeout(5_000), name: 'bench', timeoutMs: 5_000 };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function medianCheckMs(indicator) {
  for (let i = 0; i < 5; i += 1) await indicator.check(context()); // warm-up
  const times = [];
  for (let i = 0; i < RUNS; i += 1) {
    const started = performance.now();
    const result = await indicator.check(context());
    times.push(performance.now() - started);
    if (result.status !== 'up') throw new Error(`not up: ${JSON.stringify(result)}`);
  }
  return median(times);
}

async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** A TCP forwarder to `host:port` that counts the connections it accepts. */
async function countingForwarder(host, port) {
  const sockets = new Set();
  const forwarder = { accepted: 0, port: 0 };
  const server = createServer((client) => {
    forwarder.accepted += 1;
    const upstream = connect({ host, port });
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  forwarder.port = server.address().port;
  forwarder.close = async () => {
    for (const socket of sockets) socket.destroy();
    server.close();
    await once(server, 'close');
  };
  return forwarder;
}

const RMQ_QUEUE = `nest-health-bench-${process.pid}`;
const transports = {
  TCP: {
    transport: Transport.TCP,
    target: async () => ({ host: '127.0.0.1', port: await freePort() }),
    through: (port) => ({ host: '127.0.0.1', port }),
  },
  Redis: {
    transport: Transport.REDIS,
    target: async () => ({ host: HOST, port: 6379 }),
    through: (port) => ({ host: '127.0.0.1', port }),
  },
  NATS: {
    transport: Transport.NATS,
    target: async () => ({ servers: [`nats://${HOST}:4222`] }),
    address: () => ({ host: HOST, port: 4222 }),
    through: (port) => ({ servers: [`nats://127.0.0.1:${port}`] }),
  },
  MQTT: {
    transport: Transport.MQTT,
    target: async () => ({ url: `mqtt://${HOST}:1883` }),
    address: () => ({ host: HOST, port: 1883 }),
    through: (port) => ({ url: `mqtt://127.0.0.1:${port}` }),
  },
  RMQ: {
    transport: Transport.RMQ,
    target: async () => ({
      urls: [`amqp://guest:guest@${HOST}:5672`],
      queue: RMQ_QUEUE,
      queueOptions: { durable: false, autoDelete: true },
    }),
    address: () => ({ host: HOST, port: 5672 }),
    through: (port) => ({
      urls: [`amqp://guest:guest@127.0.0.1:${port}`],
      queue: RMQ_QUEUE,
      queueOptions: { durable: false, autoDelete: true },
    }),
  },
};

const rows = [];
for (const [label, spec] of Object.entries(transports)) {
  const options = await spec.target();
  const service = await NestFactory.createMicroservice(PingModule, {
    transport: spec.transport,
    options,
    logger: false,
  });
  await service.listen();
  const direct = ClientProxyFactory.create({ transport: spec.transport, options });
  const { host, port } = spec.address ? spec.address() : options;
  const forwarder = await countingForwarder(host, port);
  const counted = ClientProxyFactory.create({
    transport: spec.transport,
    options: spec.through(forwarder.port),
  });
  try {
    await firstValueFrom(direct.send(PING, 'warm-up'));
    const statusOnly = microserviceIndicator(direct);
    const roundTrip = microserviceIndicator(direct, { send: { pattern: PING } });
    const statusMs = await medianCheckMs(statusOnly);
    const sendMs = await medianCheckMs(roundTrip);

    const countedIndicator = microserviceIndicator(counted);
    await countedIndicator.check(context()); // connects the client, as its first message would
    const connectionsBefore = forwarder.accepted;
    const handledBefore = handled;
    for (let i = 0; i < 1_000; i += 1) {
      const result = await countedIndicator.check(context());
      if (result.status !== 'up') throw new Error(`not up: ${JSON.stringify(result)}`);
    }
    rows.push({
      label,
      statusMs,
      sendMs,
      clientConnections: connectionsBefore,
      opened: forwarder.accepted - connectionsBefore,
      messages: handled - handledBefore,
    });
    await Promise.all([statusOnly.close(), roundTrip.close(), countedIndicator.close()]);
  } finally {
    await Promise.all([direct.close(), counted.close()]);
    await forwarder.close();
    await service.close();
  }
}

console.log(
  `microserviceIndicator, @nestjs/microservices ${require('@nestjs/microservices/package.json').version}, ${RUNS} runs each`,
);
console.log(
  'transport'.padEnd(10),
  'status only (ms)'.padEnd(18),
  'send round trip (ms)'.padEnd(22),
  "client's own connections".padEnd(26),
  'connections opened / 1,000 status runs'.padEnd(40),
  'messages sent / 1,000 status runs',
);
for (const row of rows) {
  console.log(
    row.label.padEnd(10),
    row.statusMs.toFixed(3).padEnd(18),
    row.sendMs.toFixed(3).padEnd(22),
    String(row.clientConnections).padEnd(26),
    String(row.opened).padEnd(40),
    String(row.messages),
  );
}
process.exit(0);
