import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadWorkerConfig } from './worker-config';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  // An application context: no HTTP adapter at all.
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config));
  // On SIGTERM: every gRPC health service turns NOT_SERVING at once, the worker goes on for
  // SHUTDOWN_DELAY_MS, then BullMQ closes the worker and the process exits with code 0.
  app.enableShutdownHooks([], { useProcessExit: true });
  await app.init();
  new Logger('Worker').log('Worker started (queue "demo")');
}

main().catch((error: unknown) => {
  new Logger('Worker').error(
    error instanceof Error ? (error.stack ?? error.message) : String(error),
  );
  process.exit(1);
});
