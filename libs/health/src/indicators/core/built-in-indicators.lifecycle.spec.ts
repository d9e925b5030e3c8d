import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type INestApplication,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HealthCheckContext } from '../../check';
import { HealthIndicator } from '../../decorators/health-indicator.decorator';
import { HealthRegistry } from '../../discovery/health.registry';
import { HealthStateStore } from '../../engine/health-state.store';
import { DuplicateHealthIndicatorError, InvalidHealthModuleOptionsError } from '../../errors';
import { HealthModule } from '../../health.module';
import { redisIndicator } from '../data/redis.health';
import { diskIndicator } from '../process/disk.health';
import { eventLoopIndicator } from '../process/event-loop.health';
import { memoryIndicator } from '../process/memory.health';
import { isBuiltInIndicator } from './built-in-indicator';

const REDIS = Symbol('REDIS');

@Module({
  providers: [
    {
      provide: REDIS,
      useFactory: () => new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true }),
    },
  ],
  exports: [REDIS],
})
class RedisClientModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  onApplicationShutdown() {
    this.redis.disconnect();
  }
}

/** A user's own indicator that delegates to a built-in. */
@HealthIndicator({ name: 'heap', groups: ['readiness', 'ops'] })
class HeapHealth {
  private readonly memory = memoryIndicator({ heapUsedBytes: { degradedAbove: 1 } });
  check(context: HealthCheckContext) {
    return this.memory.check(context);
  }
}

@Injectable()
@HealthIndicator({ name: 'memory' })
class MemoryHealth {
  check() {
    return { status: 'up' as const };
  }
}

describe('built-in indicators in the module', () => {
  const apps: INestApplication[] = [];

  async function boot(health: DynamicModule, providers: unknown[] = [], imports: unknown[] = []) {
    const moduleRef = await Test.createTestingModule({
      imports: [health, ...(imports as DynamicModule[])],
      providers: providers as never[],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    await app.init();
    return app;
  }

  async function statusOf(app: INestApplication, name: string, wanted: string): Promise<void> {
    const state = app.get(HealthStateStore);
    const deadline = Date.now() + 3_000;
    while (state.indicator(name)?.status !== wanted) {
      if (Date.now() > deadline) {
        throw new Error(`${name} is ${state.indicator(name)?.status}, not ${wanted}`);
      }
      await sleep(10);
    }
  }

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  it('registers the indicators of forRoot with their own options', async () => {
    const app = await boot(
      HealthModule.forRoot({
        logger: false,
        indicators: [
          memoryIndicator({ groups: ['ops'], critical: false, intervalMs: 1_000 }),
          diskIndicator({ name: 'tmp-disk', path: tmpdir(), usedPercent: {} }),
        ],
      }),
    );
    const registry = app.get(HealthRegistry);
    expect(registry.list().map((d) => d.name)).toEqual(['memory', 'tmp-disk']);
    expect(registry.get('memory')).toMatchObject({
      groups: ['ops'],
      critical: false,
      intervalMs: 1_000,
      source: 'HealthModule indicators[0] (memory)',
    });
    expect(registry.get('tmp-disk')?.groups).toEqual(['readiness']);
    await statusOf(app, 'memory', 'up');
    await statusOf(app, 'tmp-disk', 'up');
    expect(app.get(HealthStateStore).indicator('memory')?.data).toHaveProperty('heapUsedPercent');
  });

  it('takes a client from DI through forRootAsync', async () => {
    const app = await boot(
      HealthModule.forRootAsync({
        imports: [RedisClientModule],
        inject: [REDIS],
        useFactory: (redis: Redis) => ({ logger: false, indicators: [redisIndicator(redis)] }),
      }),
    );
    await statusOf(app, 'redis', 'up');
    expect(app.get(HealthStateStore).group('readiness')?.checks).toHaveProperty('redis');
  });

  it('rejects anything but built-ins in indicators, naming each position', async () => {
    const boot1 = boot(
      HealthModule.forRoot({
        indicators: [
          memoryIndicator(),
          { check: () => ({ status: 'up' }) } as never,
          'disk' as never,
        ],
      }),
    );
    await expect(boot1).rejects.toThrow(InvalidHealthModuleOptionsError);
    await expect(boot1).rejects.toThrow(
      /"indicators\[1\]" is "a plain object": must be an array of built-in indicators[\s\S]*"indicators\[2\]" is "a string"/,
    );
    await expect(
      boot(HealthModule.forRoot({ indicators: memoryIndicator() as never })),
    ).rejects.toThrow(/"indicators" is "an instance of MemoryHealthIndicator"/);
    // the other options are still checked
    await expect(
      boot(HealthModule.forRoot({ indicators: [], logger: 'yes' as never })),
    ).rejects.toThrow(/"logger" is "yes"/);
  });

  it('closes them when the module is destroyed, and when one is unregistered', async () => {
    const kept = eventLoopIndicator();
    const dropped = eventLoopIndicator({ name: 'loop-2' });
    const keptClose = jest.spyOn(kept, 'close');
    const droppedClose = jest.spyOn(dropped, 'close');
    const app = await boot(HealthModule.forRoot({ logger: false, indicators: [kept, dropped] }));
    const registry = app.get(HealthRegistry);

    registry.unregister('loop-2');
    await sleep(0);
    expect(droppedClose).toHaveBeenCalledTimes(1);
    expect(keptClose).not.toHaveBeenCalled();

    // one registered at run time is closed too
    const runtime = memoryIndicator({ name: 'runtime-memory' });
    const runtimeClose = jest.spyOn(runtime, 'close');
    registry.register(runtime, runtime.options);

    await app.close();
    apps.splice(apps.indexOf(app), 1);
    expect(keptClose).toHaveBeenCalledTimes(1);
    expect(runtimeClose).toHaveBeenCalledTimes(1);
  });

  it('works inside a class of your own, with the class options', async () => {
    const app = await boot(HealthModule.forRoot({ logger: false }), [HeapHealth]);
    await statusOf(app, 'heap', 'degraded');
    expect(app.get(HealthRegistry).get('heap')?.groups).toEqual(['readiness', 'ops']);
    expect(app.get(HealthStateStore).indicator('heap')?.message).toMatch(/^heapUsedBytes/);
  });

  it('fails the boot when a built-in and a class share a name', async () => {
    await expect(
      boot(HealthModule.forRoot({ indicators: [memoryIndicator()] }), [MemoryHealth]),
    ).rejects.toThrow(DuplicateHealthIndicatorError);
    await expect(
      boot(HealthModule.forRoot({ indicators: [memoryIndicator()] }), [MemoryHealth]),
    ).rejects.toThrow(
      /"memory": .*HealthModule indicators\[0\] \(memory\)|HealthModule indicators\[0\] \(memory\).*"memory"/,
    );
  });

  it("isBuiltInIndicator tells the factories' values from the rest", () => {
    const memory = memoryIndicator();
    expect(isBuiltInIndicator(memory)).toBe(true);
    expect(isBuiltInIndicator({ check: () => undefined, close: () => undefined })).toBe(false);
    expect(isBuiltInIndicator(null)).toBe(false);
  });
});
