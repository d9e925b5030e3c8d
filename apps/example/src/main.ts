import { Logger } from '@nestjs/common';
import { createExampleApp } from './bootstrap';
import { EXAMPLE_CONFIG, type ExampleConfig } from './example-config';

async function main(): Promise<void> {
  const app = await createExampleApp();
  app.enableShutdownHooks();
  const { port } = app.get<ExampleConfig>(EXAMPLE_CONFIG);
  await app.listen(port, '0.0.0.0');
  new Logger('Main').log(`Listening on ${await app.getUrl()} (probes at /health/ready)`);
}

main().catch((error: unknown) => {
  new Logger('Main').error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
