import { Injectable, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { up } from '../check';
import { HealthIndicator } from '../decorators/health-indicator.decorator';
import type { HealthIndicatorOptions } from '../decorators/health-indicator.options';
import { HealthRegistry } from '../discovery/health.registry';
import { InvalidHealthIndicatorOptionsError, InvalidHealthModuleOptionsError } from '../errors';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import { HealthModule } from '../health.module';
import { resolveRouteOptions } from '../health.module-definition';
import type { HealthModuleOptions, ResolvedHealthModuleOptions } from '../health-module-options';
import { eventLoopIndicator, memoryIndicator } from '../indicators';
import { booleanFromString, numberFromString, UnconvertedOptionString } from './option-strings';

/** What `ConfigService.get()` gives for an environment variable: a string, typed `any`. */
@Injectable()
class EnvConfig {
  constructor(private readonly env: Record<string, string>) {}
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as ConfigService.get() is
  get(key: string): any {
    return this.env[key];
  }
}

@HealthIndicator({ name: 'plain' })
class PlainHealth {
  check() {
    return up();
  }
}

/** Options given as strings, as a decorator with values read from the environment would. */
const STRING_OPTIONS = {
  name: 'from-env',
  timeoutMs: '250',
  intervalMs: ' 2000 ',
  critical: 'false',
} as unknown as HealthIndicatorOptions;

@HealthIndicator(STRING_OPTIONS)
class FromEnvHealth {
  check() {
    return up();
  }
}

describe('option values given as strings (environment variables)', () => {
  const apps: INestApplication[] = [];

  async function boot(health: DynamicModule, providers: unknown[] = [PlainHealth]) {
    const moduleRef = await Test.createTestingModule({
      imports: [health],
      providers: providers as never[],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    await app.init();
    return app;
  }

  async function bootError(health: DynamicModule, providers?: unknown[]): Promise<Error> {
    try {
      await boot(health, providers);
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected the app to fail at boot');
  }

  function fromEnv(env: Record<string, string>, factory: (config: EnvConfig) => object) {
    @Module({
      providers: [{ provide: EnvConfig, useValue: new EnvConfig(env) }],
      exports: [EnvConfig],
    })
    class EnvModule {}
    return HealthModule.forRootAsync({
      imports: [EnvModule],
      inject: [EnvConfig],
      useFactory: (config: EnvConfig) => factory(config),
    });
  }

  afterEach(async () => {
    await Promise.allSettled(apps.splice(0).map((app) => app.close()));
  });

  describe('numberFromString and booleanFromString', () => {
    it.each([
      ['100', 100],
      [' 250 ', 250],
      ['-1', -1],
      ['0.5', 0.5],
      ['0', 0],
    ])('converts %j to %j', (text, number) => {
      expect(numberFromString(text)).toBe(number);
    });

    it.each(['', ' ', '1e3', '0x10', '1_000', '100ms', 'Infinity', 'NaN', '5 s', '1,000'])(
      'leaves %j unconverted, for an error that says so',
      (text) => {
        expect(numberFromString(text)).toEqual(new UnconvertedOptionString(text, 'number'));
      },
    );

    it('converts "true" and "false" only', () => {
      expect(booleanFromString('true')).toBe(true);
      expect(booleanFromString(' false ')).toBe(false);
      for (const text of ['yes', '1', 'TRUE', 'False', '']) {
        expect(booleanFromString(text)).toBeInstanceOf(UnconvertedOptionString);
      }
    });

    it('passes values that are not strings unchanged', () => {
      expect(numberFromString(42)).toBe(42);
      expect(booleanFromString(true)).toBe(true);
      expect(numberFromString(undefined)).toBeUndefined();
    });
  });

  describe('module options through forRootAsync and a config service', () => {
    it('boots with every numeric and boolean option given as a string, and uses the numbers', async () => {
      const app = await boot(
        fromEnv(
          {
            HEALTH_TIMEOUT_MS: '100',
            HEALTH_INTERVAL_MS: ' 2500 ',
            HEALTH_FAILURE_THRESHOLD: '3',
            HEALTH_HEARTBEAT_MS: '20000',
            HEALTH_REMINDER_MS: '0',
            HEALTH_SHUTDOWN_DELAY_MS: '1500',
            HEALTH_FAST_PATH: 'true',
            HEALTH_DEGRADED_STATUS: '503',
            HEALTH_METRICS: 'false',
          },
          (config) => ({
            logger: false,
            defaults: {
              timeoutMs: config.get('HEALTH_TIMEOUT_MS'),
              intervalMs: config.get('HEALTH_INTERVAL_MS'),
              failureThreshold: config.get('HEALTH_FAILURE_THRESHOLD'),
            },
            stream: { heartbeatMs: config.get('HEALTH_HEARTBEAT_MS') },
            reminderIntervalMs: config.get('HEALTH_REMINDER_MS'),
            shutdownDelayMs: config.get('HEALTH_SHUTDOWN_DELAY_MS'),
            fastPath: config.get('HEALTH_FAST_PATH'),
            httpStatus: { readiness: { degraded: config.get('HEALTH_DEGRADED_STATUS') } },
            metrics: { enabled: config.get('HEALTH_METRICS') },
          }),
        ),
      );
      const options = app.get<ResolvedHealthModuleOptions>(HEALTH_RESOLVED_OPTIONS);
      expect(options.defaults).toMatchObject({
        timeoutMs: 100,
        intervalMs: 2_500,
        failureThreshold: 3,
      });
      expect(options.stream.heartbeatMs).toBe(20_000);
      expect(options.reminderIntervalMs).toBe(0);
      expect(options.shutdownDelayMs).toBe(1_500);
      expect(options.fastPath).toBe(true);
      expect(options.httpStatus.readiness).toEqual({ up: 200, degraded: 503, down: 503 });
      expect(options.metrics.enabled).toBe(false);
      expect(app.get(HealthRegistry).get('plain')).toMatchObject({
        timeoutMs: 100,
        intervalMs: 2_500,
        failureThreshold: 3,
      });
    });

    it('turns metrics on with metrics: "true"', async () => {
      const app = await boot(HealthModule.forRoot({ logger: false, metrics: 'true' as never }));
      expect(app.get<ResolvedHealthModuleOptions>(HEALTH_RESOLVED_OPTIONS).metrics.enabled).toBe(
        true,
      );
    });

    it('converts the buckets of metrics.durationBucketsSeconds', async () => {
      const app = await boot(
        HealthModule.forRoot({
          logger: false,
          metrics: { enabled: false, durationBucketsSeconds: ['0.1', '1'] as never },
        }),
      );
      expect(
        app.get<ResolvedHealthModuleOptions>(HEALTH_RESOLVED_OPTIONS).metrics
          .durationBucketsSeconds,
      ).toEqual([0.1, 1]);
    });

    it('rejects a string that is not a plain decimal number, naming the option, the value and what to do', async () => {
      const error = await bootError(
        fromEnv({ HEALTH_TIMEOUT_MS: '100ms' }, (config) => ({
          defaults: { timeoutMs: config.get('HEALTH_TIMEOUT_MS') },
        })),
      );
      expect(error).toBeInstanceOf(InvalidHealthModuleOptionsError);
      expect((error as InvalidHealthModuleOptionsError).problems).toEqual([
        {
          option: 'defaults.timeoutMs',
          value: '100ms',
          allowed:
            'must be an integer from 1 to 300000 (milliseconds); got a string; convert it with Number()',
        },
      ]);
      expect(error.message).toContain(
        '"defaults.timeoutMs" is "100ms": must be an integer from 1 to 300000 (milliseconds); got a string; convert it with Number()',
      );
    });

    it('rejects an empty string (an unset variable) rather than reading it as 0', async () => {
      const error = await bootError(
        fromEnv({ HEALTH_SHUTDOWN_DELAY_MS: '' }, (config) => ({
          shutdownDelayMs: config.get('HEALTH_SHUTDOWN_DELAY_MS'),
        })),
      );
      expect(error.message).toContain(
        '"shutdownDelayMs" is "": must be an integer from 0 to 300000 (milliseconds); got a string; convert it with Number()',
      );
    });

    it('rejects a converted number that is out of range with the usual rule', async () => {
      const error = await bootError(
        HealthModule.forRoot({ defaults: { timeoutMs: '0' as never } }),
      );
      expect((error as InvalidHealthModuleOptionsError).problems).toEqual([
        {
          option: 'defaults.timeoutMs',
          value: 0,
          allowed: 'must be an integer from 1 to 300000 (milliseconds)',
        },
      ]);
    });

    it.each([
      [
        { fastPath: 'yes' },
        '"fastPath" is "yes": must be true or false; got a string; convert it to a boolean (only "true" and "false" are converted)',
      ],
      [{ logger: 'off' }, '"logger" is "off": must be true or false, or a LoggerService'],
      [{ metrics: 'on' }, '"metrics" is "on": must be true, false or an object'],
      [{ metrics: { endpoint: '1' } }, '"metrics.endpoint" is "1": must be true or false; got'],
      [
        { httpStatus: { readiness: { down: '5xx' } } },
        'integer HTTP status codes from 200 to 599; got a string; convert it with Number()',
      ],
      [{ stream: { retryMs: '3s' } }, '"stream.retryMs" is "3s"'],
      [{ reminderIntervalMs: '5m' }, '"reminderIntervalMs" is "5m"'],
    ])('rejects %j', async (options, message) => {
      const error = await bootError(HealthModule.forRoot(options as HealthModuleOptions));
      expect(error).toBeInstanceOf(InvalidHealthModuleOptionsError);
      expect(error.message).toContain(message);
      expect(error.message).toContain('got a string');
    });

    it('converts route options given as strings, and rejects others', () => {
      expect(
        resolveRouteOptions({ aliases: 'false' as never, dashboard: 'true' as never }),
      ).toMatchObject({
        aliases: false,
        dashboard: true,
      });
      expect(() => resolveRouteOptions({ aliases: 'no' as never })).toThrow(
        '"aliases" is "no": must be true or false; got a string',
      );
    });
  });

  describe('indicator options', () => {
    it('converts @HealthIndicator() options given as strings', async () => {
      const app = await boot(HealthModule.forRoot({ logger: false }), [FromEnvHealth]);
      expect(app.get(HealthRegistry).get('from-env')).toMatchObject({
        timeoutMs: 250,
        intervalMs: 2_000,
        critical: false,
      });
    });

    it('converts HealthRegistry.register() options given as strings', async () => {
      const app = await boot(HealthModule.forRoot({ logger: false }));
      const definition = app.get(HealthRegistry).register(() => up(), {
        name: 'registered',
        timeoutMs: '300',
        successThreshold: '2',
      } as unknown as HealthIndicatorOptions);
      expect(definition).toMatchObject({ timeoutMs: 300, successThreshold: 2 });
    });

    it('rejects a string that is not a number in HealthRegistry.register(), naming the option', async () => {
      const app = await boot(HealthModule.forRoot({ logger: false }));
      expect(() =>
        app.get(HealthRegistry).register(() => up(), {
          name: 'bad',
          timeoutMs: 'soon',
        } as unknown as HealthIndicatorOptions),
      ).toThrow(
        '"timeoutMs" is "soon": must be an integer from 1 to 300000 (milliseconds); got a string; convert it with Number()',
      );
      expect(() =>
        app.get(HealthRegistry).register(() => up(), {
          name: 'bad',
          critical: 'no',
        } as unknown as HealthIndicatorOptions),
      ).toThrow(InvalidHealthIndicatorOptionsError);
    });

    it('converts the common options of a built-in indicator', () => {
      expect(memoryIndicator({ timeoutMs: '400' as never }).options.timeoutMs).toBe(400);
      expect(() => memoryIndicator({ intervalMs: 'often' as never })).toThrow(
        '"intervalMs" is "often": must be an integer from 100 to 86400000 (milliseconds); got a string; convert it with Number()',
      );
    });

    it('converts the levels of a built-in threshold, and names a level that is no number', () => {
      expect(() =>
        eventLoopIndicator({ delayP99Ms: { degradedAbove: '250', downAbove: ' 1000 ' } as never }),
      ).not.toThrow();
      expect(() =>
        eventLoopIndicator({ delayP99Ms: { degradedAbove: '2000', downAbove: '1000' } as never }),
      ).toThrow('with downAbove ≥ degradedAbove');
      expect(() => eventLoopIndicator({ delayP99Ms: { downAbove: '1s' } as never })).toThrow(
        'got a string; convert it with Number()',
      );
    });
  });
});
