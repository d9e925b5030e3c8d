// The server side of the stream benchmark: a Nest app (Express, or Fastify when the first argument
// is "fastify") with the health module and one indicator whose status the benchmark flips through
// `POST /flip`. Run by stream.bench.mjs; it prints "ready <port>" when it listens. Needs the built
// library (npm run build:lib).
'use strict';
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const path = require('node:path');
const health = require(path.join(__dirname, '..', 'dist', 'libs', 'health'));

class BenchModule {}
Module({
  imports: [
    health.HealthModule.forRoot({
      logger: false,
      details: 'always',
      defaults: { intervalMs: 86_400_000 },
      stream: { maxSubscribers: 100_000 },
    }),
  ],
})(BenchModule);

const fastify = process.argv[2] === 'fastify';

async function main() {
  const app = fastify
    ? await NestFactory.create(
        BenchModule,
        new (require('@nestjs/platform-fastify').FastifyAdapter)(),
        { logger: false },
      )
    : await NestFactory.create(BenchModule, { logger: false });
  const send = (res, body) => (fastify ? res.send(body) : res.json(body));
  let up = true;
  // On demand, with no cache: a GET /health/ready runs it, and its transition is streamed.
  app.get(health.HealthRegistry).register(() => (up ? health.up() : health.down('flipped')), {
    name: 'flip',
    mode: 'on-demand',
    cacheTtlMs: 0,
  });
  // Collects garbage before the benchmark reads RSS (the server runs with --expose-gc).
  app.getHttpAdapter().post('/gc', (_req, res) => {
    global.gc?.();
    send(res, { gc: typeof global.gc === 'function' });
  });
  // Before init: Express answers 404 to any route added after Nest's own.
  app.getHttpAdapter().post('/flip', (_req, res) => {
    up = !up;
    send(res, { up });
  });
  await app.init();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  process.stdout.write(`ready ${port}\n`);
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
}
main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
