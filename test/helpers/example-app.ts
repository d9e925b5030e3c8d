import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplication } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  HealthProbeServer,
  HealthRegistry,
  HealthStateStore,
  type HealthCheckDetails,
  type HealthDetailsBody,
  type HealthIndicatorTiming,
  type HealthModuleOptions,
  type IndicatorStatus,
} from 'nest-health';
import request from 'supertest';
import { createExampleApp } from '../../apps/example/src/bootstrap';
import { DEMO_QUEUE } from '../../apps/example/src/demo-queue';
import type { ExampleEnv, HttpAdapterName } from '../../apps/example/src/example-config';
import { CapturingLogger } from './capturing-logger';
import { recordProcessErrors, type ProcessErrorRecorder } from './process-errors';
import { waitFor, type WaitForOptions } from './wait-for';

/** The options of `app.setGlobalPrefix()` (`exclude`). */
type GlobalPrefixOptions = Parameters<INestApplication['setGlobalPrefix']>[1];

/** Every HTTP platform the app runs on; specs run once per platform. */
export const HTTP_ADAPTERS: readonly HttpAdapterName[] = ['express', 'fastify'];

/**
 * Where a spec can send its probes: the app's own routes on Express or Fastify, or the module's
 * probe port (`server` option, beside an Express app).
 */
export type ProbeTarget = HttpAdapterName | 'probe port';

/** Every place probes are answered; the probe specs run once per target. */
export const PROBE_TARGETS: readonly ProbeTarget[] = [...HTTP_ADAPTERS, 'probe port'];

/** The URLs the health module answers (the default `path` and the aliases). */
const HEALTH_URL = /^\/(health|livez|readyz|startupz)(\/|\?|$)/;

/**
 * The real services the specs use; `E2E_DATABASE_URL`, `E2E_REDIS_URL` and `E2E_RABBITMQ_URL`
 * override them. RabbitMQ is checked only by the specs that ask for it (`withRabbitMqAt`).
 */
export const SERVICES = {
  databaseUrl: process.env.E2E_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  redisUrl: process.env.E2E_REDIS_URL ?? 'redis://127.0.0.1:6379',
  rabbitmqUrl: process.env.E2E_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
} as const;

/** Health check timing of the specs: a check every 200 ms, 500 ms to answer. */
export const FAST_HEALTH_CHECKS: HealthIndicatorTiming = { intervalMs: 200, timeoutMs: 500 };

/**
 * Starts describing an example app for a spec, with the real PostgreSQL and Redis and fast
 * health checks, so that each spec reads as one sentence:
 *
 * @example const app = await exampleApp('fastify').withRedisAt(unreachable).start();
 */
export function exampleApp(target: ProbeTarget): ExampleAppBuilder {
  if (target !== 'probe port') return new ExampleAppBuilder(target);
  return new ExampleAppBuilder('express').withProbePort();
}

/** Describes the example app to start; see {@link exampleApp}. */
export class ExampleAppBuilder {
  private databaseUrl: string | undefined = SERVICES.databaseUrl;
  private redisUrl: string = SERVICES.redisUrl;
  private rabbitmqUrl: string | undefined;
  private healthDefaults: HealthIndicatorTiming = FAST_HEALTH_CHECKS;
  private healthOptions: Omit<HealthModuleOptions, 'defaults'> = {};
  private host = '127.0.0.1';
  private globalPrefix: { prefix: string; options?: GlobalPrefixOptions } | undefined;
  private probePort = false;

  constructor(private readonly adapter: HttpAdapterName) {}

  /**
   * Serves the probe port too (`server: { port: 0 }`, on the app's host), and sends the
   * requests for health URLs (`/health…`, `/livez`, `/readyz`, `/startupz`) of
   * {@link RunningExampleApp.get} there.
   */
  withProbePort(): this {
    this.probePort = true;
    return this;
  }

  /** Uses the PostgreSQL server at `url`. */
  withDatabaseAt(url: string): this {
    this.databaseUrl = url;
    return this;
  }

  /** Uses no database server: the app falls back to its embedded PGlite. */
  withEmbeddedDatabase(): this {
    this.databaseUrl = undefined;
    return this;
  }

  /** Uses the Redis at `url`. */
  withRedisAt(url: string): this {
    this.redisUrl = url;
    return this;
  }

  /** Also checks the RabbitMQ at `url` (the app's `RABBITMQ_URL`); none by default. */
  withRabbitMqAt(url: string): this {
    this.rabbitmqUrl = url;
    return this;
  }

  /** Replaces the health checks' default timing. */
  withHealthDefaults(defaults: HealthIndicatorTiming): this {
    this.healthDefaults = defaults;
    return this;
  }

  /** Listens on `host` (a free port) instead of 127.0.0.1, e.g. a non-loopback interface. */
  listeningOn(host: string): this {
    this.host = host;
    return this;
  }

  /** Calls `app.setGlobalPrefix(prefix, options)` before the app listens, as a `main.ts` would. */
  withGlobalPrefix(prefix: string, options?: GlobalPrefixOptions): this {
    this.globalPrefix = { prefix, options };
    return this;
  }

  /** Adds health module options (other than `defaults`, see {@link withHealthDefaults}). */
  withHealthOptions(options: Omit<HealthModuleOptions, 'defaults'>): this {
    this.healthOptions = { ...this.healthOptions, ...options };
    return this;
  }

  /**
   * Builds the app exactly as `main.ts` does and listens on a free port of 127.0.0.1. Records
   * the process's unhandled rejections and uncaught exceptions from here until `close()`.
   */
  async start(): Promise<RunningExampleApp> {
    const env: ExampleEnv = {
      HTTP_ADAPTER: this.adapter,
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: this.redisUrl,
      RABBITMQ_URL: this.rabbitmqUrl,
      // A queue of its own, so that workers and jobs of other runs do not count.
      QUEUE_PREFIX: `e2e-${randomUUID().slice(0, 8)}`,
    };
    const logger = new CapturingLogger();
    const processErrors = recordProcessErrors();
    try {
      const app = await createExampleApp({
        env,
        config: {
          health: {
            ...(this.probePort ? { server: { port: 0, host: this.host } } : {}),
            ...this.healthOptions,
            defaults: this.healthDefaults,
          },
        },
        logger,
      });
      if (this.globalPrefix)
        app.setGlobalPrefix(this.globalPrefix.prefix, this.globalPrefix.options);
      await app.listen(0, this.host);
      return new RunningExampleApp(app, logger, processErrors, this.probePort);
    } catch (error) {
      processErrors.stop();
      throw error;
    }
  }
}

/** A started example app and what a spec asks of it. */
export class RunningExampleApp {
  constructor(
    readonly app: INestApplication,
    /** Every line the app logged. */
    readonly logs: CapturingLogger,
    private readonly processErrors: ProcessErrorRecorder,
    /** Whether health URLs go to the probe port. */
    private readonly viaProbePort = false,
  ) {}

  /** The probe port's URL (`http://127.0.0.1:<port>`); the app must serve one. */
  get probePortUrl(): string {
    const port = this.app.get(HealthProbeServer).port;
    if (port === undefined) throw new Error('The app serves no probe port');
    return `http://127.0.0.1:${port}`;
  }

  /** The port health URLs are answered on: the probe port's, or the app's. */
  async healthPort(): Promise<number> {
    if (this.viaProbePort) return Number(new URL(this.probePortUrl).port);
    return Number(new URL(await this.app.getUrl()).port);
  }

  /** `GET path`: on the probe port for a health URL when started {@link ExampleAppBuilder.withProbePort}. */
  get(path: string): request.Test {
    if (this.viaProbePort && HEALTH_URL.test(path)) return request(this.probePortUrl).get(path);
    return request(this.app.getHttpServer()).get(path);
  }

  /** `POST path`. */
  post(path: string): request.Test {
    return request(this.app.getHttpServer()).post(path);
  }

  /** The app's health registry, to add indicators at run time. */
  get registry(): HealthRegistry {
    return this.app.get(HealthRegistry);
  }

  /** The app's demo queue. */
  get queue(): Queue {
    return this.app.get<Queue>(getQueueToken(DEMO_QUEUE));
  }

  /** Unhandled rejections and uncaught exceptions recorded since start. */
  get unhandledErrors(): readonly string[] {
    return this.processErrors.errors;
  }

  /** Polls `GET /health` until check `name` has `status`; returns that check's details. */
  async waitForCheck(
    name: string,
    status: IndicatorStatus,
    options?: WaitForOptions,
  ): Promise<HealthCheckDetails> {
    return waitFor(async () => {
      const { body } = await this.get('/health').expect(200);
      const check = (body as HealthDetailsBody).checks[name];
      expect({ name, status: check?.status, message: check?.message }).toMatchObject({
        name,
        status,
      });
      return check;
    }, options);
  }

  /**
   * Closes the app (and deletes its queue's keys, when Redis is reachable), then stops
   * recording errors. Calling it again waits for the same close.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private closing?: Promise<void>;

  private async closeOnce(): Promise<void> {
    try {
      if (this.app.get(HealthStateStore).indicator('queue')?.status === 'up') {
        await this.queue.obliterate({ force: true }).catch(() => undefined);
      }
      await this.app.close();
      await nextTurn();
    } finally {
      this.processErrors.stop();
    }
  }
}
