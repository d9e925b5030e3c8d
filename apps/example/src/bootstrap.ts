import {
  ValidationPipe,
  type DynamicModule,
  type INestApplication,
  type NestApplicationOptions,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { loadExampleConfig, type ExampleConfig, type ExampleEnv } from './example-config';

/** How {@link createExampleApp} builds the app. */
export interface ExampleAppOptions {
  /** Where the configuration is read from. @default process.env */
  readonly env?: ExampleEnv;
  /** Configuration values that win over the environment. */
  readonly config?: Partial<ExampleConfig>;
  /** Nest's `logger` option. @default Nest's console logger */
  readonly logger?: NestApplicationOptions['logger'];
  /**
   * Changes the root module before the app is built (the benchmark adds routes and takes the
   * health module out). @default none: the module as `AppModule.forRoot` makes it
   */
  readonly module?: (module: DynamicModule) => DynamicModule;
}

/**
 * Builds the example app on Express or Fastify (`HTTP_ADAPTER`), not yet listening. `main.ts`
 * and the e2e specs both start the app through it.
 *
 * @throws Error when the configuration is invalid.
 */
export async function createExampleApp(options: ExampleAppOptions = {}): Promise<INestApplication> {
  const config = loadExampleConfig(options.env ?? process.env, options.config);
  const module = (options.module ?? ((made) => made))(AppModule.forRoot(config));
  // abortOnError: false makes a failed boot throw instead of killing the process.
  const appOptions: NestApplicationOptions = { abortOnError: false, logger: options.logger };
  const app =
    config.httpAdapter === 'fastify'
      ? await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), appOptions)
      : await NestFactory.create(module, appOptions);
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  return app;
}
