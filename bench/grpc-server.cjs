// A server of the gRPC benchmark (bench/grpc.bench.mjs), on 127.0.0.1 and a free port:
//
//   node bench/grpc-server.cjs module   a Nest application context (no HTTP server) with
//                                       HealthModule.forRoot({ grpc }) and one local indicator
//                                       in readiness (always up): the module's Check
//   node bench/grpc-server.cjs bare     @grpc/grpc-js with the same service definition and a
//                                       unary Check that answers SERVING, a constant: the floor
//
// Needs the built library (npm run build:lib). Prints "ready <port>"; exits on SIGTERM.
'use strict';
require('reflect-metadata');
const path = require('node:path');

const kind = process.argv[2];

async function moduleServer() {
  const { Module } = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');
  const health = require(path.join(__dirname, '..', 'dist', 'libs', 'health'));
  class BenchModule {}
  Module({
    imports: [health.HealthModule.forRoot({ logger: false, grpc: { port: 0, host: '127.0.0.1' } })],
  })(BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  app.get(health.HealthRegistry).register(() => health.up(), {
    name: 'local',
    groups: ['readiness'],
    intervalMs: 5_000,
  });
  await app.init();
  const serving = app.get(health.HealthServingStatus);
  while (serving.current('') !== 'SERVING') await new Promise((r) => setTimeout(r, 10));
  return { port: app.get(health.HealthGrpcServer).port, close: () => app.close() };
}

async function bareServer() {
  const grpc = require('@grpc/grpc-js');
  const { service } = require('grpc-health-check');
  const server = new grpc.Server();
  server.addService(service, {
    check: (_call, callback) => callback(null, { status: 'SERVING' }),
    watch: (call) => call.end(),
    list: (_call, callback) => callback(null, { statuses: {} }),
  });
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { port, close: async () => server.forceShutdown() };
}

(kind === 'module' ? moduleServer() : bareServer())
  .then(({ port, close }) => {
    process.stdout.write(`ready ${port}\n`);
    process.on('SIGTERM', () => {
      const timer = setTimeout(() => process.exit(0), 3_000);
      Promise.resolve(close()).finally(() => {
        clearTimeout(timer);
        process.exit(0);
      });
    });
  })
  .catch((error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  });
