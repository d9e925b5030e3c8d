import { Injectable, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { up } from './check';
import { HealthIndicator } from './decorators/health-indicator.decorator';
import { HealthRegistry } from './discovery/health.registry';
import { HealthStateStore } from './engine/health-state.store';
import type { HealthChangeEvent } from './engine/health-state.types';
import { HealthModuleImportedTwiceError, InvalidHealthModuleOptionsError } from './errors';
import { HealthModule } from './health.module';
import { HEALTH_MODULE_OPTIONS, resolveRouteOptions } from './health.module-definition';
import type { HealthModuleOptions } from './health-module-options';

@HealthIndicator()
class PlainHealth {
  check() {
    return up();
  }
}

@Injectable()
class HealthConfig {
  createHealthOptions(): HealthModuleOptions {
    return { logger: false, defaults: { intervalMs: 7_000, failureThreshold: 3 } };
  }
}

@Module({ providers: [HealthConfig], exports: [HealthConfig] })
class HealthConfigModule {}

describe('HealthModule options', () => {
  const apps: INestApplication[] = [];

  async function boot(health: DynamicModule): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [health],
      providers: [PlainHealth],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    await app.init();
    return app;
  }

  async function bootError(health: DynamicModule): Promise<InvalidHealthModuleOptionsError> {
    try {
      await boot(health);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidHealthModuleOptionsError);
      return error as InvalidHealthModuleOptionsError;
    }
    throw new Error('expected the app to fail at boot');
  }

  afterEach(async () => {
    await Promise.allSettled(apps.splice(0).map((app) => app.close()));
  });

  describe('route options (checked when the module is defined)', () => {
    it('forRoot rejects an invalid path at once, naming "path" and the value', () => {
      expect(() => HealthModule.forRoot({ path: 'bad path!' })).toThrow(
        InvalidHealthModuleOptionsError,
      );
      expect(() => HealthModule.forRoot({ path: 'bad path!' })).toThrow(
        /"path" is "bad path!": must be a route path of letters, digits/,
      );
    });

    it('forRoot rejects a non-boolean aliases', () => {
      expect(() => HealthModule.forRoot({ aliases: 'yes' as unknown as boolean })).toThrow(
        /"aliases" is "yes": must be true or false/,
      );
    });

    it('forRootAsync checks the route options too', () => {
      expect(() => HealthModule.forRootAsync({ path: 'a b', useFactory: () => ({}) })).toThrow(
        InvalidHealthModuleOptionsError,
      );
    });

    it('trims slashes from the path and applies the defaults', () => {
      expect(resolveRouteOptions({ path: '/status/k8s/' })).toMatchObject({
        path: 'status/k8s',
        aliases: true,
        decorators: [],
      });
      expect(resolveRouteOptions({})).toMatchObject({ path: 'health', aliases: true });
    });

    it('is global by default, and not when isGlobal is false', () => {
      expect(HealthModule.forRoot().global).toBe(true);
      expect(HealthModule.forRoot({ isGlobal: false }).global).toBe(false);
    });

    it('keeps route options out of the module options', async () => {
      const app = await boot(HealthModule.forRoot({ path: 'status', logger: false }));
      expect(app.get(HEALTH_MODULE_OPTIONS)).toEqual({ logger: false });
    });
  });

  describe('module options (checked at boot)', () => {
    it('rejects defaults.timeoutMs 0, naming the option, the value and the range', async () => {
      const error = await bootError(HealthModule.forRoot({ defaults: { timeoutMs: 0 } }));
      expect(error.message).toContain('Invalid HealthModule options');
      expect(error.message).toContain(
        '"defaults.timeoutMs" is 0: must be an integer from 1 to 300000 (milliseconds)',
      );
      expect(error.problems).toEqual([
        {
          option: 'defaults.timeoutMs',
          value: 0,
          allowed: 'must be an integer from 1 to 300000 (milliseconds)',
        },
      ]);
    });

    it('names an unknown key', async () => {
      const error = await bootError(
        HealthModule.forRoot({ timeout: 5 } as unknown as HealthModuleOptions),
      );
      expect(error.message).toContain('"timeout" is not an option (given 5)');
    });

    it('names an unknown key inside defaults', async () => {
      const error = await bootError(
        HealthModule.forRoot({ defaults: { interval: 5 } } as unknown as HealthModuleOptions),
      );
      expect(error.message).toContain('"defaults.interval" is not an option');
    });

    it.each([
      ['an out-of-range code', { readiness: { down: 700 } }, '700'],
      ['an unknown status', { readiness: { sideways: 200 } }, 'sideways'],
      ['a bad group name', { 'no such group!': { down: 500 } }, 'no such group!'],
    ])('rejects an httpStatus with %s', async (_label, httpStatus, shown) => {
      const error = await bootError(
        HealthModule.forRoot({ httpStatus } as unknown as HealthModuleOptions),
      );
      expect(error.problems.map((p) => p.option)).toEqual(['httpStatus']);
      expect(error.message).toContain(shown);
      expect(error.message).toContain('integer HTTP status codes from 200 to 599');
    });

    it('rejects a non-boolean logger', async () => {
      const error = await bootError(
        HealthModule.forRoot({ logger: 'loud' } as unknown as HealthModuleOptions),
      );
      expect(error.message).toContain('"logger" is "loud": must be true or false');
    });

    it('forRootAsync: rejects what the factory resolves, naming the option', async () => {
      const error = await bootError(
        HealthModule.forRootAsync({
          useFactory: () =>
            ({ defaults: { intervalMs: 'fast' } }) as unknown as HealthModuleOptions,
        }),
      );
      expect(error.message).toContain(
        '"defaults.intervalMs" is "fast": must be an integer from 100 to 86400000 (milliseconds)',
      );
    });
  });

  describe('defaults', () => {
    it('gives an indicator without options intervalMs 5000, timeoutMs 1000, thresholds 1, readiness', async () => {
      const app = await boot(HealthModule.forRoot({ logger: false }));
      expect(app.get(HealthRegistry).get('plain')).toMatchObject({
        intervalMs: 5_000,
        timeoutMs: 1_000,
        failureThreshold: 1,
        successThreshold: 1,
        cacheTtlMs: 1_000,
        groups: ['readiness'],
        critical: true,
        mode: 'background',
      });
    });

    it('forRoot with no argument works', async () => {
      const app = await boot(HealthModule.forRoot());
      expect(app.get(HealthRegistry).get('plain')?.intervalMs).toBe(5_000);
    });

    it('applies module defaults given to forRoot', async () => {
      const app = await boot(
        HealthModule.forRoot({ logger: false, defaults: { timeoutMs: 250, successThreshold: 2 } }),
      );
      expect(app.get(HealthRegistry).get('plain')).toMatchObject({
        timeoutMs: 250,
        successThreshold: 2,
        intervalMs: 5_000,
      });
    });
  });

  describe('forRootAsync', () => {
    it('works with useFactory and inject', async () => {
      const app = await boot(
        HealthModule.forRootAsync({
          imports: [HealthConfigModule],
          inject: [HealthConfig],
          useFactory: async (config: HealthConfig) => {
            await Promise.resolve();
            return { ...config.createHealthOptions(), defaults: { timeoutMs: 321 } };
          },
        }),
      );
      expect(app.get(HealthRegistry).get('plain')?.timeoutMs).toBe(321);
    });

    it('works with useClass', async () => {
      const app = await boot(HealthModule.forRootAsync({ useClass: HealthConfig }));
      expect(app.get(HealthRegistry).get('plain')).toMatchObject({
        intervalMs: 7_000,
        failureThreshold: 3,
        timeoutMs: 1_000,
      });
    });

    it('works with useExisting', async () => {
      const app = await boot(
        HealthModule.forRootAsync({ imports: [HealthConfigModule], useExisting: HealthConfig }),
      );
      expect(app.get(HealthRegistry).get('plain')).toMatchObject({
        intervalMs: 7_000,
        failureThreshold: 3,
      });
    });
  });

  it('keeps no state between two apps in one process', async () => {
    const first = await boot(HealthModule.forRoot({ logger: false, defaults: { timeoutMs: 111 } }));
    const second = await boot(HealthModule.forRoot({ logger: false }));
    expect(first.get(HealthRegistry)).not.toBe(second.get(HealthRegistry));
    expect(first.get(HealthRegistry).get('plain')?.timeoutMs).toBe(111);
    expect(second.get(HealthRegistry).get('plain')?.timeoutMs).toBe(1_000);
  });

  it('emits readiness down with reason shutting_down on close, then completes the changes', async () => {
    const app = await boot(HealthModule.forRoot({ logger: false }));
    const store = app.get(HealthStateStore);
    for (let i = 0; i < 100 && store.group('readiness')?.status !== 'up'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(store.group('readiness')?.status).toBe('up');
    const events: HealthChangeEvent[] = [];
    let completed = false;
    store.changes.subscribe({
      next: (event) => events.push(event),
      complete: () => (completed = true),
    });
    await app.close();
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'group',
        name: 'readiness',
        current: 'down',
        reason: 'shutting_down',
      }),
    );
    expect(completed).toBe(true);
  });
});

describe('HealthModule imported more than once', () => {
  @Module({ imports: [HealthModule.forRoot({ logger: false })] })
  class FeatureModule {}

  @Module({
    imports: [
      HealthModule.forRootAsync({
        imports: [HealthConfigModule],
        useExisting: HealthConfig,
      }),
    ],
  })
  class AsyncFeatureModule {}

  /** Imported by the root module and by OtherModule: still one module, one HealthModule. */
  @Module({ imports: [FeatureModule] })
  class OtherModule {}

  async function compileError(imports: DynamicModule['imports']): Promise<unknown> {
    return Test.createTestingModule({ imports })
      .compile()
      .then(
        async (moduleRef) => {
          await moduleRef.close();
          return undefined;
        },
        (error: unknown) => error,
      );
  }

  it('fails the boot, naming both importing modules', async () => {
    @Module({ imports: [HealthModule.forRoot({ logger: false }), FeatureModule] })
    class AppModule {}

    const error = await compileError([AppModule]);

    expect(error).toBeInstanceOf(HealthModuleImportedTwiceError);
    const { message, importers, count } = error as HealthModuleImportedTwiceError;
    expect(importers).toEqual(['AppModule', 'FeatureModule']);
    expect(count).toBe(2);
    expect(message).toMatch(
      /^HealthModule\.forRoot\(\) is imported by AppModule and by FeatureModule: import it once, in the root module/,
    );
    expect(message).toContain('without importing it again');
  });

  it('counts forRootAsync() the same', async () => {
    @Module({ imports: [HealthModule.forRoot({ logger: false }), AsyncFeatureModule] })
    class AppModule {}

    const error = await compileError([AppModule]);

    expect(error).toBeInstanceOf(HealthModuleImportedTwiceError);
    expect((error as HealthModuleImportedTwiceError).importers).toEqual([
      'AppModule',
      'AsyncFeatureModule',
    ]);
  });

  it('says how many times one module imports it', async () => {
    @Module({
      imports: [HealthModule.forRoot({ logger: false }), HealthModule.forRoot({ path: 'other' })],
    })
    class AppModule {}

    const error = await compileError([AppModule]);

    expect((error as Error).message).toMatch(
      /^HealthModule\.forRoot\(\) is imported 2 times by AppModule: import it once/,
    );
  });

  it('is no error for one forRoot() in a module that is itself imported twice', async () => {
    @Module({ imports: [FeatureModule, OtherModule] })
    class AppModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [AppModule],
      providers: [PlainHealth],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      expect(
        app
          .get(HealthRegistry)
          .list()
          .map((indicator) => indicator.name),
      ).toEqual(['plain']);
    } finally {
      await app.close();
    }
  });
});
