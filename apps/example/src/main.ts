import { Logger } from '@nestjs/common';
import { createExampleApp } from './bootstrap';
import { EXAMPLE_CONFIG, type ExampleConfig } from './example-config';

async function main(): Promise<void> {
  const app = await createExampleApp();
  // On SIGTERM (or SIGINT): readiness turns down, the app serves for SHUTDOWN_DELAY_MS, then it
  // closes and exits with code 0 (process.exit rather than re-raising the signal, which would
  // end the process "killed by SIGTERM").
  app.enableShutdownHooks([], { useProcessExit: true });
  const { port } = app.get<ExampleConfig>(EXAMPLE_CONFIG);
  await app.listen(port, '0.0.0.0');
  new Logger('Main').log(`Listening on ${await app.getUrl()} (probes at /health/ready)`);
}

main().catch((error: unknown) => {
  new Logger('Main').error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
