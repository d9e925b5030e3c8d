import { down, up, type HealthCheckContext, type HealthCheckResult } from '../check';
import { HealthRegistry } from '../discovery/health.registry';
import { resolveHealthModuleOptions } from '../health-module-options';
import { HealthCheckRunner } from './health-check.runner';
import { HealthStateStore } from './health-state.store';
import { HealthScheduler } from './health.scheduler';

/** A promise with its resolve function. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

/** Waits on the fake clock (the check's own work, in these tests). */
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('HealthScheduler', () => {
  let registry: HealthRegistry;
  let store: HealthStateStore;
  let scheduler: HealthScheduler;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    // No jitter: every wait is exactly intervalMs, so the tests can count runs on the clock.
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    registry = new HealthRegistry(resolveHealthModuleOptions({}));
    store = new HealthStateStore();
    scheduler = new HealthScheduler(registry, new HealthCheckRunner(), store);
  });

  afterEach(async () => {
    scheduler.stop();
    store.onApplicationShutdown();
    // Let runs in flight time out on the fake clock, then go back to real timers.
    await jest.runOnlyPendingTimersAsync();
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  describe('background indicators', () => {
    it('run at bootstrap and then every intervalMs', async () => {
      const check = jest.fn(() => up());
      registry.register(check, { name: 'db', intervalMs: 100 });

      await jest.advanceTimersByTimeAsync(1_000);
      expect(check).not.toHaveBeenCalled();
      expect(store.indicator('db')?.status).toBe('unknown');

      scheduler.onApplicationBootstrap();
      expect(check).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(0);
      expect(store.indicator('db')?.status).toBe('up');

      await jest.advanceTimersByTimeAsync(99);
      expect(check).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(1);
      expect(check).toHaveBeenCalledTimes(2);
      await jest.advanceTimersByTimeAsync(300);
      expect(check).toHaveBeenCalledTimes(5);
    });

    it('record each result in the state store', async () => {
      const results: HealthCheckResult[] = [up(), down('refused'), up()];
      registry.register(() => results.shift() ?? up(), { name: 'db', intervalMs: 100 });

      scheduler.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(0);
      expect(store.indicator('db')?.status).toBe('up');
      await jest.advanceTimersByTimeAsync(100);
      expect(store.indicator('db')).toMatchObject({ status: 'down', message: 'refused' });
      await jest.advanceTimersByTimeAsync(100);
      expect(store.indicator('db')?.status).toBe('up');
    });

    it('record down, not the last status, when a check throws something unreadable', async () => {
      let calls = 0;
      registry.register(
        () => {
          calls += 1;
          if (calls === 1) return up();
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point of the test
          throw {
            get message(): string {
              throw new Error('unreadable');
            },
          };
        },
        { name: 'db', intervalMs: 100 },
      );
      scheduler.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(0);
      expect(store.indicator('db')?.status).toBe('up');
      await jest.advanceTimersByTimeAsync(100);
      expect(store.indicator('db')).toMatchObject({
        status: 'down',
        message: 'threw a value that cannot be read',
      });
    });

    it('wait between intervalMs × 0.9 and × 1.1 (jitter)', async () => {
      const check = jest.fn(() => up());
      registry.register(check, { name: 'db', intervalMs: 1_000 });

      // The wait is drawn when a run ends: the lowest factor after the first run...
      jest.spyOn(Math, 'random').mockReturnValue(0);
      scheduler.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(899);
      expect(check).toHaveBeenCalledTimes(1);
      // ...and the highest after the second.
      jest.spyOn(Math, 'random').mockReturnValue(0.999_999);
      await jest.advanceTimersByTimeAsync(1);
      expect(check).toHaveBeenCalledTimes(2);

      await jest.advanceTimersByTimeAsync(1_099);
      expect(check).toHaveBeenCalledTimes(2);
      await jest.advanceTimersByTimeAsync(1);
      expect(check).toHaveBeenCalledTimes(3);
    });

    it('never overlap: the next run starts intervalMs after the previous one ended', async () => {
      let active = 0;
      let maxActive = 0;
      const starts: number[] = [];
      registry.register(
        async () => {
          starts.push(Date.now());
          active += 1;
          maxActive = Math.max(maxActive, active);
          await delay(150);
          active -= 1;
          return up();
        },
        { name: 'slow', intervalMs: 100, timeoutMs: 1_000 },
      );
      const t0 = Date.now();

      scheduler.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(1_000);

      expect(maxActive).toBe(1);
      expect(starts.map((t) => t - t0)).toEqual([0, 250, 500, 750, 1_000]);
    });

    it('do not call a hung check again while its previous call is pending', async () => {
      const hung = deferred<HealthCheckResult>();
      let calls = 0;
      const check = jest.fn(
        (context: HealthCheckContext): HealthCheckResult | Promise<HealthCheckResult> => {
          void context;
          calls += 1;
          return calls === 1 ? hung.promise : up();
        },
      );
      registry.register(check, { name: 'hung', timeoutMs: 50, intervalMs: 100 });

      scheduler.onApplicationBootstrap();
      const signal = check.mock.calls[0][0].signal;
      await jest.advanceTimersByTimeAsync(50);
      expect(signal.aborted).toBe(true); // the check ignores it
      expect(store.indicator('hung')).toMatchObject({
        status: 'down',
        message: 'timed out after 50 ms',
        timedOut: true,
      });

      await jest.advanceTimersByTimeAsync(100); // t = 150: a due run
      expect(check).toHaveBeenCalledTimes(1);
      const state = store.indicator('hung');
      expect(state).toMatchObject({ status: 'down', timedOut: true });
      expect(state?.message).toContain('previous run has not finished');
      expect(state?.lastCheckedAt).toBe(new Date(Date.now()).toISOString());

      await jest.advanceTimersByTimeAsync(1_000); // ten more due runs
      expect(check).toHaveBeenCalledTimes(1);
      expect(store.indicator('hung')?.message).toContain('previous run has not finished');

      hung.resolve(up()); // the hung call settles at last
      await jest.advanceTimersByTimeAsync(100);
      expect(check).toHaveBeenCalledTimes(2);
      expect(store.indicator('hung')).toMatchObject({ status: 'up', timedOut: false });
    });
  });

  describe('on-demand indicators', () => {
    function registerOnDemand(cacheTtlMs = 1_000) {
      let runs = 0;
      const check = jest.fn(async () => {
        runs += 1;
        await delay(50);
        return up({ run: runs });
      });
      registry.register(check, {
        name: 'quota',
        mode: 'on-demand',
        groups: ['readiness', 'billing'],
        cacheTtlMs,
      });
      return check;
    }

    it('do not run in the background', async () => {
      const check = registerOnDemand();
      scheduler.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(60_000);
      expect(check).not.toHaveBeenCalled();
      expect(store.indicator('quota')?.status).toBe('unknown');
    });

    it('run once for many concurrent callers (single-flight)', async () => {
      const check = registerOnDemand();
      scheduler.onApplicationBootstrap();

      const refreshes = Array.from({ length: 20 }, (_, i) =>
        scheduler.refreshGroup(i % 2 ? 'readiness' : 'billing'),
      );
      const promises = refreshes.filter((r): r is Promise<void> => r instanceof Promise);
      expect(promises).toHaveLength(20);
      let done = 0;
      for (const r of promises) void r.then(() => (done += 1));

      await jest.advanceTimersByTimeAsync(49);
      expect(done).toBe(0);
      expect(store.indicator('quota')?.status).toBe('unknown');
      await jest.advanceTimersByTimeAsync(1);
      await Promise.all(promises);

      expect(check).toHaveBeenCalledTimes(1);
      expect(done).toBe(20);
      expect(store.indicator('quota')).toMatchObject({ status: 'up', data: { run: 1 } });
    });

    it('reuse the result within cacheTtlMs, then run again', async () => {
      const check = registerOnDemand(1_000);
      scheduler.onApplicationBootstrap();
      const first = scheduler.refreshGroup('readiness');
      await jest.advanceTimersByTimeAsync(50);
      await first;
      expect(check).toHaveBeenCalledTimes(1);

      await jest.advanceTimersByTimeAsync(900);
      await scheduler.refreshGroup('readiness');
      await scheduler.refreshAll();
      expect(check).toHaveBeenCalledTimes(1);

      await jest.advanceTimersByTimeAsync(100); // 1000 ms after the first run ended
      const again = scheduler.refreshGroup('billing');
      expect(check).toHaveBeenCalledTimes(2);
      await jest.advanceTimersByTimeAsync(50);
      await again;
      expect(store.indicator('quota')?.data).toEqual({ run: 2 });
    });

    it('run on every refresh with cacheTtlMs 0, still sharing a run in flight', async () => {
      const check = registerOnDemand(0);
      scheduler.onApplicationBootstrap();
      const a = scheduler.refreshGroup('readiness');
      const b = scheduler.refreshGroup('readiness');
      await jest.advanceTimersByTimeAsync(50);
      await Promise.all([a, b]);
      expect(check).toHaveBeenCalledTimes(1);
      const c = scheduler.refreshGroup('readiness');
      await jest.advanceTimersByTimeAsync(50);
      await c;
      expect(check).toHaveBeenCalledTimes(2);
    });

    it('refreshGroup returns undefined for a group without on-demand members', () => {
      registry.register(() => up(), { name: 'db', groups: ['readiness'] });
      registry.register(() => up(), { name: 'quota', mode: 'on-demand', groups: ['billing'] });
      scheduler.onApplicationBootstrap();
      expect(scheduler.refreshGroup('readiness')).toBeUndefined();
      expect(scheduler.refreshGroup('liveness')).toBeUndefined();
      expect(scheduler.refreshGroup('no-such-group')).toBeUndefined();
      expect(scheduler.refreshGroup('billing')).toBeInstanceOf(Promise);
    });

    it('refreshAll returns undefined when there is no on-demand indicator', () => {
      registry.register(() => up(), { name: 'db' });
      expect(scheduler.refreshAll()).toBeUndefined();
    });
  });

  describe('stop', () => {
    it('stops every background run', async () => {
      const check = jest.fn(() => up());
      registry.register(check, { name: 'db', intervalMs: 100 });
      scheduler.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(0);

      scheduler.stop();
      expect(scheduler.stopped).toBe(true);
      await jest.advanceTimersByTimeAsync(10_000);
      expect(check).toHaveBeenCalledTimes(1);
      expect(scheduler.refreshAll()).toBeUndefined();
    });

    it('aborts runs in flight and drops their results', async () => {
      let signal: AbortSignal | undefined;
      registry.register(
        async (context) => {
          signal = context.signal;
          await delay(50); // ignores the signal
          return down('too late to matter');
        },
        { name: 'db', intervalMs: 100 },
      );
      scheduler.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(10);

      scheduler.stop();

      expect(signal?.aborted).toBe(true);
      expect((signal?.reason as DOMException).name).toBe('AbortError');
      await jest.advanceTimersByTimeAsync(1_000);
      expect(store.indicator('db')).toMatchObject({ status: 'unknown', lastCheckedAt: null });
    });

    it('turns readiness down with reason shutting_down', () => {
      scheduler.onApplicationBootstrap();
      scheduler.stop();
      expect(store.group('readiness')).toMatchObject({ status: 'down', reason: 'shutting_down' });
    });

    it('makes on-demand refreshes resolve without running the check', async () => {
      const check = jest.fn(() => up());
      registry.register(check, { name: 'quota', mode: 'on-demand' });
      scheduler.onApplicationBootstrap();
      scheduler.stop();
      await scheduler.refreshGroup('readiness');
      expect(check).not.toHaveBeenCalled();
    });

    it('prevents a later bootstrap from starting anything', async () => {
      const check = jest.fn(() => up());
      registry.register(check, { name: 'db' });
      scheduler.stop();
      scheduler.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(10_000);
      expect(check).not.toHaveBeenCalled();
    });
  });

  describe('indicators registered at run time', () => {
    it('start at once after bootstrap and stop when unregistered', async () => {
      scheduler.onApplicationBootstrap();
      const check = jest.fn(() => up());

      registry.register(check, { name: 'tenant-1', groups: ['tenants'], intervalMs: 100 });
      expect(check).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(100);
      expect(check).toHaveBeenCalledTimes(2);
      expect(store.group('tenants')).toMatchObject({
        status: 'up',
        checks: { 'tenant-1': { status: 'up' } },
      });

      expect(registry.unregister('tenant-1')).toBe(true);
      expect(store.indicator('tenant-1')).toBeUndefined();
      expect(store.group('tenants')).toBeUndefined();
      await jest.advanceTimersByTimeAsync(1_000);
      expect(check).toHaveBeenCalledTimes(2);
    });

    it('drop the result of a run in flight when unregistered', async () => {
      scheduler.onApplicationBootstrap();
      registry.register(
        async () => {
          await delay(50);
          return up();
        },
        { name: 'tenant-2' },
      );
      await jest.advanceTimersByTimeAsync(10);
      registry.unregister('tenant-2');
      await jest.advanceTimersByTimeAsync(100);
      expect(store.indicator('tenant-2')).toBeUndefined();
    });

    it('wait for bootstrap when registered before it', async () => {
      const check = jest.fn(() => up());
      registry.register(check, { name: 'early' });
      await jest.advanceTimersByTimeAsync(100);
      expect(check).not.toHaveBeenCalled();
      scheduler.onApplicationBootstrap();
      expect(check).toHaveBeenCalledTimes(1);
    });

    it('can run one indicator now', async () => {
      const check = jest.fn(() => up());
      registry.register(check, { name: 'db' });
      await expect(scheduler.runNow('db')).resolves.toBe(true);
      await expect(scheduler.runNow('nope')).resolves.toBe(false);
      expect(check).toHaveBeenCalledTimes(1);
      expect(store.indicator('db')?.status).toBe('up');
    });
  });
});
