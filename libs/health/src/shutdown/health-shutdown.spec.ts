import {
  Global,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type INestApplication,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { up, type HealthIndicatorCheck } from '../check';
import { HealthIndicator } from '../decorators/health-indicator.decorator';
import { HealthStateStore } from '../engine/health-state.store';
import { HealthModule } from '../health.module';
import { HealthShutdown } from './health-shutdown';

/** Long enough that the assertions "during the delay" finish inside it on a loaded machine. */
const DELAY_MS = 1_500;

/** What each hook saw when Nest called it. */
interface Seen {
  readonly hook: string;
  readonly phase: string;
  readonly readiness: string | undefined;
  readonly atMs: number;
}

const seen: Seen[] = [];
let signalledAt = 0;

function record(hook: string, shutdown: HealthShutdown, store: HealthStateStore): void {
  seen.push({
    hook,
    phase: shutdown.phase,
    readiness: store.group('readiness')?.reason ?? store.group('readiness')?.status,
    atMs: performance.now() - signalledAt,
  });
}

/** Counts its runs, to see the checks keep running during the delay. */
@HealthIndicator({ name: 'ping', groups: ['readiness', 'liveness'], intervalMs: 100 })
class PingHealth implements HealthIndicatorCheck {
  runs = 0;
  check() {
    this.runs += 1;
    return up();
  }
}

function resource(name: string) {
  @Injectable()
  class Resource implements OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown {
    constructor(
      readonly shutdown: HealthShutdown,
      readonly store: HealthStateStore,
    ) {}
    onModuleDestroy() {
      record(`${name}.onModuleDestroy`, this.shutdown, this.store);
    }
    beforeApplicationShutdown() {
      record(`${name}.beforeApplicationShutdown`, this.shutdown, this.store);
    }
    onApplicationShutdown() {
      record(`${name}.onApplicationShutdown`, this.shutdown, this.store);
    }
  }
  return Resource;
}

/** A pool closed in onModuleDestroy, which waits for the drain first, as the docs advise. */
@Injectable()
class PatientPool implements OnModuleDestroy {
  constructor(
    private readonly shutdown: HealthShutdown,
    private readonly store: HealthStateStore,
  ) {}
  async onModuleDestroy() {
    await this.shutdown.begin();
    record('PatientPool.onModuleDestroy (after begin)', this.shutdown, this.store);
  }
}

const RootResource = resource('Root');
const FeatureResource = resource('Feature');
const GlobalResource = resource('Global');

@Module({ providers: [FeatureResource, PatientPool] })
class FeatureModule {}

@Global()
@Module({ providers: [GlobalResource] })
class SharedModule {}

describe('HealthShutdown', () => {
  let app: INestApplication | undefined;

  async function start(shutdownDelayMs: number): Promise<string> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        HealthModule.forRoot({ logger: false, shutdownDelayMs }),
        FeatureModule,
        SharedModule,
      ],
      providers: [RootResource, PingHealth],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    return (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }

  afterEach(async () => {
    await app?.close();
    app = undefined;
    seen.length = 0;
  });

  it('turns readiness down at once, keeps serving and checking for the delay, then closes', async () => {
    const url = await start(DELAY_MS);
    const shutdown = app!.get(HealthShutdown);
    const ping = app!.get(PingHealth);
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    let closingAt = -1;
    shutdown.closing.subscribe(() => (closingAt = performance.now() - signalledAt));

    signalledAt = performance.now();
    const closed = app!.close();
    await sleep(50);

    expect(shutdown.phase).toBe('draining');
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'down', reason: 'shutting_down' });
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    const runsBefore = ping.runs;
    await sleep(250);
    expect(ping.runs).toBeGreaterThan(runsBefore); // the checks run on while the app drains
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    expect(shutdown.signal.aborted).toBe(false);

    await closed;
    app = undefined;
    expect(closingAt).toBeGreaterThanOrEqual(DELAY_MS - 5);
    expect(shutdown.phase).toBe('closing');
    expect(shutdown.signal.aborted).toBe(true);
    const runsAfter = ping.runs;
    await sleep(250);
    expect(ping.runs).toBe(runsAfter); // the scheduler stopped
  });

  it('runs in the first shutdown hook: what closes later stays open for the whole delay', async () => {
    await start(DELAY_MS);
    signalledAt = performance.now();
    await app!.close();
    app = undefined;

    const at = (hook: string) => seen.find((s) => s.hook === hook);
    // Nest calls onModuleDestroy module by module, root first, global modules last: the root's
    // and a feature module's run before the health module's, i.e. before the delay.
    expect(at('Root.onModuleDestroy')).toMatchObject({ phase: 'running' });
    expect(at('Feature.onModuleDestroy')).toMatchObject({ phase: 'running' });
    // A hook that awaits begin() first closes after the delay.
    expect(at('PatientPool.onModuleDestroy (after begin)')).toMatchObject({
      phase: 'closing',
      readiness: 'shutting_down',
    });
    expect(at('PatientPool.onModuleDestroy (after begin)')!.atMs).toBeGreaterThanOrEqual(
      DELAY_MS - 5,
    );
    // Every beforeApplicationShutdown and onApplicationShutdown runs after the delay.
    const late = seen.filter((s) => /beforeApplicationShutdown|onApplicationShutdown/.test(s.hook));
    expect(late.map((s) => s.hook).sort()).toEqual([
      'Feature.beforeApplicationShutdown',
      'Feature.onApplicationShutdown',
      'Global.beforeApplicationShutdown',
      'Global.onApplicationShutdown',
      'Root.beforeApplicationShutdown',
      'Root.onApplicationShutdown',
    ]);
    for (const hook of late) {
      expect(hook).toMatchObject({ phase: 'closing', readiness: 'shutting_down' });
      expect(hook.atMs).toBeGreaterThanOrEqual(DELAY_MS - 5);
    }
  });

  it('closes at once without a delay, and begin() is idempotent', async () => {
    await start(0);
    const shutdown = app!.get(HealthShutdown);
    const store = app!.get(HealthStateStore);
    const first = shutdown.begin();
    expect(shutdown.begin()).toBe(first);
    expect(store.group('readiness')).toMatchObject({ status: 'down', reason: 'shutting_down' });
    expect(store.group('liveness')?.status).not.toBe('down');
    await first;
    expect(shutdown.phase).toBe('closing');
    let late = false;
    shutdown.closing.subscribe({ complete: () => (late = true) });
    expect(late).toBe(true); // replayed to a late subscriber
  });
});
