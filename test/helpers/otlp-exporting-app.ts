// A Nest app with nest-health's telemetry and the OpenTelemetry SDK exporting spans over
// OTLP/HTTP, run in a process of its own (the OTLP exporter loads node:http with a dynamic
// import, which Jest's module sandbox refuses):
//
//   node --require ./test/helpers/register-typescript.cjs test/helpers/otlp-exporting-app.ts \
//     <OTLP traces URL> <port refusing connections> <secret>
//
// It registers an indicator `upstream` that connects to the port and fails with an error whose
// message holds a connection string with the secret as its password, waits for three of its
// runs, flushes the exporter, closes and prints "exported".
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { HealthModule, HealthRegistry, HealthStateStore } from 'nest-health';
import { tcpConnectCheck } from './tcp-checks';

async function main(): Promise<void> {
  const [url, port, secret] = process.argv.slice(2);
  const provider = new TracerProvider({
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) })],
  });
  trace.setGlobalTracerProvider(provider);

  @Module({
    imports: [
      HealthModule.forRoot({
        telemetry: true,
        logger: false,
        defaults: { intervalMs: 100, timeoutMs: 1_000 },
      }),
    ],
  })
  class AppModule {}

  const app = await NestFactory.create(AppModule, { logger: false });
  // Listening keeps the process alive: the scheduler's timers do not (they are unref'd).
  await app.listen(0, '127.0.0.1');
  const runs = firstValueFrom(
    app.get(HealthStateStore).results.pipe(
      filter((run) => run.name === 'upstream'),
      take(3),
      toArray(),
    ),
  );
  const connect = tcpConnectCheck(Number(port));
  app.get(HealthRegistry).register(
    async (context) => {
      try {
        return await connect(context);
      } catch (error) {
        throw new Error(
          `connect ECONNREFUSED postgres://orders:${secret}@127.0.0.1:${port}/orders (${(error as Error).message})`,
        );
      }
    },
    { name: 'upstream' },
  );
  await runs;
  await app.close();
  await provider.forceFlush();
  await provider.shutdown();
  process.stdout.write('exported\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
