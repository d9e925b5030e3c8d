import {
  Injectable,
  Module,
  Scope,
  type INestApplication,
  type LoggerService,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { down, up } from '../check';
import { HealthRegistry } from '../discovery/health.registry';
import { HealthStateStore } from '../engine/health-state.store';
import type { HealthChangeEvent } from '../engine/health-state.types';
import { HealthModule } from '../health.module';
import { InvalidHealthChangeHookError } from './health-change-hook.error';
import { HealthChangeHooks } from './health-change-hooks';
import { OnHealthChange } from './on-health-change.decorator';

/** Every hook of the app records what it got, by hook. */
const calls = new Map<string, HealthChangeEvent[]>();
function record(hook: string, event: HealthChangeEvent): void {
  const list = calls.get(hook) ?? [];
  list.push(event);
  calls.set(hook, list);
}
const callsOf = (hook: string) => calls.get(hook) ?? [];

@Injectable()
class AuditService {
  @OnHealthChange()
  everything(event: HealthChangeEvent) {
    record('everything', event);
  }

  @OnHealthChange('payments')
  payments(event: HealthChangeEvent) {
    record('payments', event);
  }

  @OnHealthChange({ group: 'readiness' })
  readiness(event: HealthChangeEvent) {
    record('readiness', event);
  }

  @OnHealthChange({ indicator: ['cache', 'payments'] })
  async indicators(event: HealthChangeEvent) {
    await Promise.resolve();
    record('indicators', event);
  }

  notAHook(event: HealthChangeEvent) {
    record('notAHook', event);
  }
}

@Injectable()
class BrokenHooks {
  @OnHealthChange('payments')
  throws(event: HealthChangeEvent) {
    record('throws', event);
    throw new Error('pager unreachable');
  }

  @OnHealthChange('payments')
  async rejects(event: HealthChangeEvent) {
    record('rejects', event);
    await Promise.resolve();
    throw new Error('audit table locked');
  }
}

/** A provider in a module of its own, imported by the app: hooks are found in any module. */
@Module({ providers: [BrokenHooks] })
class BrokenHooksModule {}

@Injectable({ scope: Scope.REQUEST })
class PerRequestHooks {
  @OnHealthChange()
  never(event: HealthChangeEvent) {
    record('perRequest', event);
  }
}

@Injectable()
class BadFilterHooks {
  @OnHealthChange({ indicator: 'has space', colour: 'red' } as never)
  bad() {}
}

class KeepingLogger implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  log(message: unknown) {
    this.lines.push({ level: 'log', message: String(message) });
  }
  warn(message: unknown) {
    this.lines.push({ level: 'warn', message: String(message) });
  }
  error(message: unknown) {
    this.lines.push({ level: 'error', message: String(message) });
  }
  at(level: string): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }
}

describe('@OnHealthChange hooks', () => {
  let app: INestApplication | undefined;
  let logger: KeepingLogger;
  /** The result each indicator returns at its next run. */
  const healthy = new Map<string, boolean>();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeEach(() => {
    calls.clear();
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    // Pinned for the scheduler's jitter only: Nest's ids come from Math.random too (through
    // `uid`), and a constant there makes two modules' ids collide once uid refills its buffer.
    const random = Math.random.bind(Math);
    jest
      .spyOn(Math, 'random')
      .mockImplementation(() => (new Error().stack?.includes('health.scheduler') ? 0.5 : random()));
    logger = new KeepingLogger();
    healthy.set('payments', true).set('cache', true);
  });

  afterEach(async () => {
    jest.useRealTimers();
    jest.restoreAllMocks();
    await app?.close();
    app = undefined;
    process.off('unhandledRejection', onUnhandled);
  });

  async function boot(providers: unknown[], imports: unknown[] = []): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ logger }), ...(imports as never[])],
      providers: providers as never[],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    const registry = app.get(HealthRegistry);
    for (const name of ['payments', 'cache']) {
      registry.register(() => (healthy.get(name) ? up() : down(`${name} refused`)), {
        name,
        intervalMs: 1_000,
        groups: name === 'cache' ? ['ops'] : ['readiness'],
      });
    }
    await app.init();
    return app;
  }

  /** Runs every indicator once more (each runs every second) and lets the hooks settle. */
  async function nextRun(): Promise<void> {
    await jest.advanceTimersByTimeAsync(1_000);
  }

  it('gives hooks the data redacted, as every reader of the state gets it', async () => {
    await boot([AuditService]);
    app!.get(HealthRegistry).register(
      () =>
        down('vault sealed', {
          url: 'https://vault.internal:8200/v1/sys?token=s.hunter2',
          credentials: { roleId: 'r', secretId: 'hunter2' },
          headers: [{ 'X-Vault-Token': 'hunter2' }],
          sealed: true,
        }),
      { name: 'vault', intervalMs: 1_000 },
    );
    await nextRun();

    const [event] = callsOf('everything').filter((e) => e.name === 'vault');
    expect(event.type === 'indicator' && event.state.data).toEqual({
      url: 'https://vault.internal:8200/v1/sys?token=***',
      credentials: '***',
      headers: [{ 'X-Vault-Token': '***' }],
      sealed: true,
    });
    expect(JSON.stringify(callsOf('everything'))).not.toContain('hunter2');
  });

  it('calls each matching hook once per transition, with the event the store emitted', async () => {
    await boot([AuditService]);
    const emitted: HealthChangeEvent[] = [];
    app!.get(HealthStateStore).changes.subscribe((event) => emitted.push(event));
    await nextRun(); // the first results: unknown → up, and their groups

    healthy.set('payments', false);
    await nextRun();
    healthy.set('payments', true);
    await nextRun();
    await nextRun(); // no transition
    healthy.set('cache', false);
    await nextRun();

    const transitions = emitted.map((e) => `${e.type} ${e.name}: ${e.previous} → ${e.current}`);
    expect(transitions).toEqual([
      'indicator payments: up → down',
      'group readiness: up → down',
      'indicator payments: down → up',
      'group readiness: down → up',
      'indicator cache: up → down',
      'group ops: up → down',
    ]);
    // The same objects, in the same order: the hook gets what `changes` emits.
    expect(callsOf('everything').slice(-6)).toEqual(emitted);
    expect(
      callsOf('everything')
        .slice(-6)
        .every((event, i) => event === emitted[i]),
    ).toBe(true);
    expect(callsOf('payments').map((e) => `${e.type} ${e.name} ${e.current}`)).toEqual([
      'indicator payments up', // unknown → up at the first result
      'indicator payments down',
      'indicator payments up',
    ]);
    expect(callsOf('readiness').map((e) => `${e.type} ${e.name} ${e.current}`)).toEqual([
      'group readiness up', // down (members unknown) → up at the first result
      'group readiness down',
      'group readiness up',
    ]);
    expect(callsOf('indicators').map((e) => `${e.name} ${e.current}`)).toEqual([
      'payments up',
      'cache up',
      'payments down',
      'payments up',
      'cache down',
    ]);
    expect(callsOf('notAHook')).toEqual([]);

    const down = callsOf('payments')[1];
    expect(down).toMatchObject({
      type: 'indicator',
      name: 'payments',
      previous: 'up',
      current: 'down',
      message: 'payments refused',
      durationMs: expect.any(Number),
      groups: { readiness: 'down' },
      state: { name: 'payments', status: 'down', consecutiveFailures: 1 },
    });
    expect(app!.get(HealthChangeHooks).sources).toEqual([
      'AuditService.everything',
      'AuditService.payments',
      'AuditService.readiness',
      'AuditService.indicators',
    ]);
  });

  it('a hook that throws or rejects is logged, called again next time, and never stops the engine', async () => {
    await boot([AuditService], [BrokenHooksModule]);
    await nextRun();

    healthy.set('payments', false);
    await nextRun();
    healthy.set('payments', true);
    await nextRun();

    // Both broken hooks were called at each of the three transitions of payments…
    expect(callsOf('throws').map((e) => e.current)).toEqual(['up', 'down', 'up']);
    expect(callsOf('rejects').map((e) => e.current)).toEqual(['up', 'down', 'up']);
    // …the other hooks and the state carried on…
    expect(callsOf('payments').map((e) => e.current)).toEqual(['up', 'down', 'up']);
    expect(app!.get(HealthStateStore).indicator('payments')?.status).toBe('up');
    // …and each failure was logged as an error naming the hook, nothing left unhandled.
    const errors = logger.at('error');
    expect(errors).toHaveLength(6);
    expect(errors).toContain(
      '@OnHealthChange() hook BrokenHooks.throws failed on indicator payments up → down: pager unreachable',
    );
    expect(errors).toContain(
      '@OnHealthChange() hook BrokenHooks.rejects failed on indicator payments down → up: audit table locked',
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });

  it('skips hooks of request-scoped providers with a warning', async () => {
    await boot([PerRequestHooks]);
    healthy.set('payments', false);
    await nextRun();

    expect(callsOf('perRequest')).toEqual([]);
    expect(logger.at('warn')).toContain(
      '@OnHealthChange() on PerRequestHooks.never is skipped: its provider is request-scoped, and transitions happen outside any request',
    );
  });

  it('fails the boot for an invalid filter, naming the class, the method and the problem', async () => {
    const failure = boot([BadFilterHooks]).catch((error: unknown) => error);
    const error = await failure;
    expect(error).toBeInstanceOf(InvalidHealthChangeHookError);
    expect((error as Error).message).toBe(
      [
        'Invalid @OnHealthChange() filter on BadFilterHooks.bad:',
        '  - "filter.colour" is not an option (given "red")',
        '  - "filter.indicator" is "has space": must be a name or an array of names; a name must be 1 to 63 characters of letters, digits, ".", "_" or "-", starting with a letter or digit',
      ].join('\n'),
    );
  });
});
