// The Nest app of the fleet benchmark (bench/fleet.bench.mjs): HealthModule.forRoot with one
// local indicator in readiness (always up, no dependency), and the `fleet` option when the spec
// gives one, on Express. It serves /health/ready, and with the fleet /health/fleet and
// /health/fleet/stream. Needs the built library (npm run build:lib).
//
//   node bench/fleet-server.cjs '{"fleet":{"redis":"redis://127.0.0.1:6379","service":"bench",
//     "instance":"reader","publishIntervalMs":5000}}'      ("fleet": null for the fleet off)
//
// Prints "ready <port>" once it listens on 127.0.0.1; on SIGTERM it closes the app and exits
// (a CPU profile asked with --cpu-prof is written then).
'use strict';
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const path = require('node:path');
const health = require(path.join(__dirname, '..', 'dist', 'libs', 'health'));

const spec = JSON.parse(process.argv[2] ?? '{}');

class BenchModule {}
Module({
  imports: [
    health.HealthModule.forRoot({
      logger: false,
      details: 'always',
      stream: { maxSubscribers: 10_000 },
      ...(spec.fleet ? { fleet: spec.fleet } : {}),
    }),
  ],
})(BenchModule);

async function main() {
  const app = await NestFactory.create(BenchModule, { logger: false });
  app.get(health.HealthRegistry).register(() => health.up(), {
    name: 'local',
    groups: ['readiness'],
    intervalMs: 5_000,
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  process.stdout.write(`ready ${port}\n`);
  process.on('SIGTERM', () => {
    const timer = setTimeout(() => process.exit(0), 3_000);
    app.close().finally(() => {
      clearTimeout(timer);
      process.exit(0);
    });
  });
}
main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
