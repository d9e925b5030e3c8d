import {
  Inject,
  Injectable,
  Module,
  Scope,
  type INestApplication,
  type ModuleMetadata,
} from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { up, type HealthIndicatorCheck } from '../check';
import { HealthIndicator } from '../decorators/health-indicator.decorator';
import {
  DuplicateHealthIndicatorError,
  HealthIndicatorScopeError,
  HealthModuleError,
  InvalidHealthIndicatorOptionsError,
  MissingHealthCheckMethodError,
} from '../errors';
import { HealthStateStore } from '../engine/health-state.store';
import { HealthModule } from '../health.module';
import { HealthRegistry } from './health.registry';

@HealthIndicator({ name: 'class-provider' })
class ClassProviderHealth implements HealthIndicatorCheck {
  check() {
    return up();
  }
}

@HealthIndicator({ name: 'use-class' })
class UseClassHealth implements HealthIndicatorCheck {
  check() {
    return up();
  }
}

@HealthIndicator({ name: 'use-factory' })
class UseFactoryHealth implements HealthIndicatorCheck {
  constructor(readonly url: string) {}
  check() {
    return up();
  }
}

@HealthIndicator({ name: 'use-value' })
class UseValueHealth implements HealthIndicatorCheck {
  check() {
    return up();
  }
}

@HealthIndicator({ name: 'nested', groups: ['liveness'] })
class NestedHealth implements HealthIndicatorCheck {
  check() {
    return up();
  }
}

@Injectable()
class Pool {
  query() {
    return Promise.resolve(1);
  }
}

@HealthIndicator()
@Injectable()
class RedisHealth implements HealthIndicatorCheck {
  constructor(private readonly pool: Pool) {}
  async check() {
    await this.pool.query();
    return up();
  }
}

@Module({ providers: [NestedHealth] })
class InnerFeatureModule {}

@Module({ imports: [InnerFeatureModule] })
class FeatureModule {}

describe('HealthIndicatorExplorer', () => {
  const apps: INestApplication[] = [];

  async function boot(metadata: ModuleMetadata): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ logger: false }), ...(metadata.imports ?? [])],
      providers: metadata.providers ?? [],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    await app.init();
    return app;
  }

  async function bootError(metadata: ModuleMetadata): Promise<Error> {
    try {
      await boot(metadata);
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected the app to fail at boot');
  }

  afterEach(async () => {
    await Promise.allSettled(apps.splice(0).map((app) => app.close()));
  });

  it('finds class, useClass, useFactory and useValue providers, in nested modules too', async () => {
    const app = await boot({
      imports: [FeatureModule],
      providers: [
        ClassProviderHealth,
        { provide: 'ABSTRACT_HEALTH', useClass: UseClassHealth },
        {
          provide: 'FACTORY_HEALTH',
          useFactory: (pool: Pool) => {
            void pool;
            return new UseFactoryHealth('redis://cache');
          },
          inject: [Pool],
        },
        { provide: 'VALUE_HEALTH', useValue: new UseValueHealth() },
        Pool,
      ],
    });
    const registry = app.get(HealthRegistry);
    expect(
      registry
        .list()
        .map((d) => d.name)
        .sort(),
    ).toEqual(['class-provider', 'nested', 'use-class', 'use-factory', 'use-value']);
    expect(registry.get('nested')?.groups).toEqual(['liveness']);
    expect(registry.get('use-class')?.source).toBe('UseClassHealth');
    expect(registry.get('use-factory')?.source).toBe('UseFactoryHealth');
  });

  it('calls the check of the very instance Nest created, with its dependencies', async () => {
    const app = await boot({ providers: [RedisHealth, Pool] });
    const registry = app.get(HealthRegistry);
    const pool = app.get(Pool);
    const query = jest.spyOn(pool, 'query');

    const definition = registry.get('redis');
    expect(definition).toBeDefined();
    const signal = new AbortController().signal;
    await expect(definition!.check({ signal, name: 'redis', timeoutMs: 1_000 })).resolves.toEqual(
      up(),
    );
    expect(query).toHaveBeenCalledTimes(1);
  });

  it('tracks every discovered indicator in the state store', async () => {
    const app = await boot({ providers: [ClassProviderHealth] });
    expect(app.get(HealthStateStore).indicator('class-provider')).toBeDefined();
  });

  it('ignores providers without the decorator and plain useValue objects', async () => {
    const app = await boot({
      providers: [Pool, { provide: 'CONFIG', useValue: { check: () => up() } }],
    });
    expect(app.get(HealthRegistry).list()).toEqual([]);
  });

  it('registers an indicator once when an alias (useExisting) points at it', async () => {
    const app = await boot({
      providers: [ClassProviderHealth, { provide: 'ALIAS', useExisting: ClassProviderHealth }],
    });
    expect(
      app
        .get(HealthRegistry)
        .list()
        .map((d) => d.name),
    ).toEqual(['class-provider']);
  });

  it('registers an indicator once when a factory returns an instance Nest already has', async () => {
    const app = await boot({
      providers: [
        ClassProviderHealth,
        {
          provide: 'SAME_INSTANCE',
          useFactory: (health: ClassProviderHealth) => health,
          inject: [ClassProviderHealth],
        },
      ],
    });
    expect(
      app
        .get(HealthRegistry)
        .list()
        .map((d) => d.name),
    ).toEqual(['class-provider']);
  });

  describe('boot errors', () => {
    it('a decorated class without check → MissingHealthCheckMethodError naming the class', async () => {
      @HealthIndicator()
      class NoCheckHealth {}
      const error = await bootError({ providers: [NoCheckHealth] });
      expect(error).toBeInstanceOf(MissingHealthCheckMethodError);
      expect(error).toBeInstanceOf(HealthModuleError);
      expect(error.name).toBe('MissingHealthCheckMethodError');
      expect(error.message).toContain('NoCheckHealth');
      expect(error.message).toContain('check(context)');
    });

    it('a check that is not a function → MissingHealthCheckMethodError', async () => {
      @HealthIndicator()
      class PropertyHealth {
        check = 'up';
      }
      const error = await bootError({ providers: [PropertyHealth] });
      expect(error).toBeInstanceOf(MissingHealthCheckMethodError);
      expect(error.message).toContain('PropertyHealth');
    });

    it('two indicators with the same name → DuplicateHealthIndicatorError naming both', async () => {
      @HealthIndicator({ name: 'db' })
      class PrimaryDbHealth {
        check() {
          return up();
        }
      }
      @HealthIndicator({ name: 'db' })
      class ReplicaDbHealth {
        check() {
          return up();
        }
      }
      const error = await bootError({ providers: [PrimaryDbHealth, ReplicaDbHealth] });
      expect(error).toBeInstanceOf(DuplicateHealthIndicatorError);
      expect(error.message).toContain('"db"');
      expect(error.message).toContain('PrimaryDbHealth');
      expect(error.message).toContain('ReplicaDbHealth');
    });

    it('one class provided in two modules → names the class and both modules, advises one provider', async () => {
      @HealthIndicator({ name: 'database' })
      class DatabaseHealth {
        check() {
          return up();
        }
      }
      @Module({ providers: [DatabaseHealth] })
      class FeatureModule {}
      @Module({ imports: [FeatureModule], providers: [DatabaseHealth] })
      class AppModule {}

      const error = await bootError({ imports: [AppModule] });

      expect(error).toBeInstanceOf(DuplicateHealthIndicatorError);
      expect(error.message).toMatch(
        /^Two health indicators are named "database": DatabaseHealth \(in (AppModule|FeatureModule)\) and DatabaseHealth \(in (AppModule|FeatureModule)\), two instances of one class provided in two modules/,
      );
      expect(error.message).toContain('(in AppModule)');
      expect(error.message).toContain('(in FeatureModule)');
      expect(error.message).toContain(
        'Provide DatabaseHealth in one module and export it from there',
      );
      expect(error.message).toContain("a subclass with @HealthIndicator({ name: '...' })");
      expect(error.message).not.toMatch(/Give one of them another name with/);
    });

    it('two classes with one name in two modules → names both with their modules, advises a name', async () => {
      @HealthIndicator({ name: 'db' })
      class PrimaryDbHealth {
        check() {
          return up();
        }
      }
      @HealthIndicator({ name: 'db' })
      class ReplicaDbHealth {
        check() {
          return up();
        }
      }
      @Module({ providers: [ReplicaDbHealth] })
      class ReplicaModule {}

      const error = await bootError({ imports: [ReplicaModule], providers: [PrimaryDbHealth] });

      expect(error).toBeInstanceOf(DuplicateHealthIndicatorError);
      expect(error.message).toContain('ReplicaDbHealth (in ReplicaModule)');
      expect(error.message).toMatch(/PrimaryDbHealth \(in \w+\)/);
      expect(error.message).toContain(
        "Give one of them another name with @HealthIndicator({ name: '...' })",
      );
      expect(error.message).not.toContain('two instances of one class');
    });

    it('two classes whose names derive to the same name → DuplicateHealthIndicatorError', async () => {
      @HealthIndicator()
      class CacheHealth {
        check() {
          return up();
        }
      }
      @HealthIndicator()
      class CacheHealthIndicator {
        check() {
          return up();
        }
      }
      const error = await bootError({ providers: [CacheHealth, CacheHealthIndicator] });
      expect(error).toBeInstanceOf(DuplicateHealthIndicatorError);
      expect(error.message).toContain('"cache"');
    });

    it.each<[string, Record<string, unknown>, string[]]>([
      ['timeoutMs: -1', { timeoutMs: -1 }, ['"timeoutMs" is -1', 'integer from 1 to 300000']],
      ['timeoutMs: 1.5', { timeoutMs: 1.5 }, ['"timeoutMs" is 1.5', 'integer from 1 to 300000']],
      [
        'intervalMs: 50',
        { intervalMs: 50 },
        ['"intervalMs" is 50', 'integer from 100 to 86400000'],
      ],
      ['groups: "readiness"', { groups: 'readiness' }, ['"groups" is "readiness"', 'array']],
      ['groups: ["bad group"]', { groups: ['bad group'] }, ['"groups" is ["bad group"]']],
      ['name: "has space"', { name: 'has space' }, ['"name" is "has space"', '1 to 63']],
      ['critical: "yes"', { critical: 'yes' }, ['"critical" is "yes"', 'true or false']],
      ['mode: "eager"', { mode: 'eager' }, ['"mode" is "eager"', '"on-demand"']],
      ['an unknown key', { timeout: 5 }, ['"timeout" is not an option (given 5)']],
    ])('invalid options (%s) → InvalidHealthIndicatorOptionsError', async (_l, options, parts) => {
      @HealthIndicator(options)
      class BadOptionsHealth {
        check() {
          return up();
        }
      }
      const error = await bootError({ providers: [BadOptionsHealth] });
      expect(error).toBeInstanceOf(InvalidHealthIndicatorOptionsError);
      expect(error.message).toContain('BadOptionsHealth');
      for (const part of parts) expect(error.message).toContain(part);
    });

    it('names every invalid option at once', async () => {
      @HealthIndicator({ timeoutMs: 0, failureThreshold: 101 })
      class TwiceWrongHealth {
        check() {
          return up();
        }
      }
      const error = (await bootError({
        providers: [TwiceWrongHealth],
      })) as InvalidHealthIndicatorOptionsError;
      expect(error.problems.map((p) => p.option)).toEqual(['timeoutMs', 'failureThreshold']);
      expect(error.message).toContain(
        '"failureThreshold" is 101: must be an integer from 1 to 100',
      );
    });

    it('a request-scoped indicator → HealthIndicatorScopeError', async () => {
      @HealthIndicator()
      @Injectable({ scope: Scope.REQUEST })
      class PerRequestHealth {
        check() {
          return up();
        }
      }
      const error = await bootError({ providers: [PerRequestHealth] });
      expect(error).toBeInstanceOf(HealthIndicatorScopeError);
      expect(error.message).toContain('PerRequestHealth');
      expect(error.message).toContain('request-scoped');
    });

    it('an indicator that depends on the request → HealthIndicatorScopeError', async () => {
      @HealthIndicator()
      @Injectable()
      class RequestAwareHealth {
        constructor(@Inject(REQUEST) readonly request: unknown) {}
        check() {
          return up();
        }
      }
      const error = await bootError({ providers: [RequestAwareHealth] });
      expect(error).toBeInstanceOf(HealthIndicatorScopeError);
      expect(error.message).toContain('RequestAwareHealth');
    });

    it('a transient indicator → HealthIndicatorScopeError', async () => {
      @HealthIndicator()
      @Injectable({ scope: Scope.TRANSIENT })
      class TransientHealth {
        check() {
          return up();
        }
      }
      const error = await bootError({ providers: [TransientHealth] });
      expect(error).toBeInstanceOf(HealthIndicatorScopeError);
      expect(error.message).toContain('TransientHealth');
      expect(error.message).toContain('transient');
    });
  });

  describe('default names', () => {
    it('derives the name from the class name', async () => {
      @HealthIndicator()
      class MessageQueueHealthIndicator {
        check() {
          return up();
        }
      }
      @HealthIndicator()
      class S3Health {
        check() {
          return up();
        }
      }
      @HealthIndicator()
      class HTTPClientHealth {
        check() {
          return up();
        }
      }
      const app = await boot({
        providers: [RedisHealth, Pool, MessageQueueHealthIndicator, S3Health, HTTPClientHealth],
      });
      expect(
        app
          .get(HealthRegistry)
          .list()
          .map((d) => d.name)
          .sort(),
      ).toEqual(['http-client', 'message-queue', 'redis', 's3']);
    });
  });

  describe('HealthRegistry at run time', () => {
    it('registers and unregisters indicators; the state store follows', async () => {
      const app = await boot({});
      const registry = app.get(HealthRegistry);
      const store = app.get(HealthStateStore);

      const definition = registry.register(() => up(), { name: 'tenant-1', groups: ['tenants'] });
      expect(definition.source).toBe('HealthRegistry.register(function named "tenant-1")');
      expect(registry.get('tenant-1')).toBe(definition);
      expect(store.group('tenants')?.checks).toHaveProperty('tenant-1');

      expect(registry.unregister('tenant-1')).toBe(true);
      expect(registry.unregister('tenant-1')).toBe(false);
      expect(registry.get('tenant-1')).toBeUndefined();
      expect(store.group('tenants')).toBeUndefined();
    });

    it('refuses a name already taken by a discovered indicator', async () => {
      const app = await boot({ providers: [ClassProviderHealth] });
      expect(() =>
        app.get(HealthRegistry).register(() => up(), { name: 'class-provider' }),
      ).toThrow(DuplicateHealthIndicatorError);
    });
  });
});
