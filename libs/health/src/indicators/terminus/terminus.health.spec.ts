import {
  DiskHealthIndicator,
  HealthCheckError,
  HealthIndicatorService,
  MemoryHealthIndicator,
  TerminusModule,
} from '@nestjs/terminus';
import { Test, type TestingModule } from '@nestjs/testing';
import { checkOnce, runInEngine } from '../../../spec-helpers/faults';
import { terminusIndicator } from './terminus.health';

describe('terminusIndicator (real @nestjs/terminus indicators)', () => {
  let moduleRef: TestingModule;
  let memory: MemoryHealthIndicator;
  let disk: DiskHealthIndicator;
  let service: HealthIndicatorService;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({ imports: [TerminusModule] }).compile();
    memory = moduleRef.get(MemoryHealthIndicator);
    disk = moduleRef.get(DiskHealthIndicator);
    service = moduleRef.get(HealthIndicatorService);
  });

  afterAll(async () => {
    await moduleRef.close();
  });

  it("maps Terminus's up to ours", async () => {
    const result = await checkOnce(
      terminusIndicator(() => memory.checkHeap('memory_heap', Number.MAX_SAFE_INTEGER)),
    );
    expect(result).toEqual({ status: 'up', data: {} });
  });

  it("maps Terminus's down to ours, with its message", async () => {
    const result = await checkOnce(terminusIndicator(() => memory.checkHeap('memory_heap', 1)));
    expect(result).toEqual({
      status: 'down',
      message: 'memory_heap: Used heap exceeded the set threshold',
      data: {},
    });
    const full = await checkOnce(
      terminusIndicator(() =>
        disk.checkStorage('storage', { path: '/', thresholdPercent: 0.000001 }),
      ),
    );
    expect(full.status).toBe('down');
    expect(full.message).toMatch(/^storage: Used disk storage exceeded the set threshold/);
  });

  it("passes Terminus's details through as data", async () => {
    const result = await checkOnce(
      terminusIndicator(() => service.check('payments').up({ responseTime: 12, region: 'eu' })),
    );
    expect(result).toEqual({ status: 'up', data: { responseTime: 12, region: 'eu' } });
  });

  it('takes the worst of several keys, keyed data', async () => {
    const result = await checkOnce(
      terminusIndicator(() => ({
        ...service.check('a').up(),
        ...service.check('b').down({ message: 'refused', code: 'ECONNREFUSED' }),
      })),
    );
    expect(result).toEqual({
      status: 'down',
      message: 'b: refused',
      data: { a: {}, b: { code: 'ECONNREFUSED' } },
    });
  });

  it('reads a thrown HealthCheckError (Terminus 9–10 indicators)', async () => {
    const result = await checkOnce(
      terminusIndicator(() => {
        throw new HealthCheckError('Database failed', {
          db: { status: 'down', message: 'timeout' },
        });
      }),
    );
    expect(result).toEqual({ status: 'down', message: 'db: timeout', data: {} });
  });

  it('maps degraded (Terminus 12) and an unknown status', async () => {
    expect(
      await checkOnce(
        terminusIndicator(() => ({ cache: { status: 'degraded', message: 'slow' } })),
      ),
    ).toEqual({ status: 'degraded', message: 'cache: slow', data: {} });
    expect(await checkOnce(terminusIndicator(() => ({ cache: { status: 'sideways' } })))).toEqual({
      status: 'down',
      message: 'cache is "sideways"',
      data: {},
    });
  });

  it('awaits a thenable (Terminus 12 HealthCheckAttempt)', async () => {
    const attempt: PromiseLike<{ api: { status: string } }> = {
      then: (onfulfilled, onrejected) =>
        Promise.resolve({ api: { status: 'up' } }).then(onfulfilled, onrejected),
    };
    expect((await checkOnce(terminusIndicator(() => attempt))).status).toBe('up');
  });

  it('fails for other errors and for a result it cannot read', async () => {
    await expect(
      checkOnce(
        terminusIndicator(() => {
          throw new Error('boom');
        }),
      ),
    ).rejects.toThrow('boom');
    await expect(checkOnce(terminusIndicator(() => ({})))).rejects.toThrow(
      /returned no \{ key: \{ status \} \} result/,
    );
  });

  it('is ended by the engine when the Terminus call hangs', async () => {
    const result = await runInEngine(
      terminusIndicator(() => new Promise(() => undefined)),
      100,
    );
    expect(result).toMatchObject({ status: 'down', message: 'timed out after 100 ms' });
  });

  it('rejects a call that is not a function', () => {
    expect(() => terminusIndicator('db' as never)).toThrow(/"call" is "a string"/);
  });
});
