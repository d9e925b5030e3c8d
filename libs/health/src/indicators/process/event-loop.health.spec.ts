import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkOnce } from '../../../spec-helpers/faults';
import { HealthStateStore } from '../../engine/health-state.store';
import { InvalidHealthIndicatorOptionsError } from '../../errors';
import { HealthModule } from '../../health.module';
import { eventLoopIndicator } from './event-loop.health';

/** Blocks the event loop, as a synchronous hot loop or a huge JSON.parse would. */
function blockLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

describe('eventLoopIndicator', () => {
  it('is up on an idle loop, with delays, utilization and the window as data', async () => {
    const indicator = eventLoopIndicator();
    try {
      await sleep(100);
      const result = await checkOnce(indicator);
      expect(result.status).toBe('up');
      const data = result.data as Record<string, number>;
      expect(data.delayMaxMs).toBeLessThan(1_000);
      expect(data.delayP50Ms).toBeGreaterThanOrEqual(0);
      expect(data.delayP99Ms).toBeGreaterThanOrEqual(data.delayP50Ms);
      expect(data.utilizationPercent).toBeGreaterThanOrEqual(0);
      expect(data.utilizationPercent).toBeLessThanOrEqual(100);
      expect(data.windowMs).toBeGreaterThanOrEqual(90);
    } finally {
      await indicator.close();
    }
  });

  it('registers in liveness under the name "event-loop" by default', () => {
    const indicator = eventLoopIndicator();
    void indicator.close();
    expect(indicator.kind).toBe('event-loop');
    expect(indicator.options).toEqual({ name: 'event-loop', groups: ['liveness'] });
    expect(eventLoopIndicator({ name: 'loop', groups: ['ops'] }).options).toEqual({
      name: 'loop',
      groups: ['ops'],
    });
  });

  it('reports a loop blocked for 1.5 s as degraded, then up again in the next window', async () => {
    const indicator = eventLoopIndicator();
    try {
      await sleep(50);
      blockLoop(1_500);
      await sleep(20);
      const blocked = await checkOnce(indicator);
      expect(blocked.status).toBe('degraded');
      expect((blocked.data as Record<string, number>).delayMaxMs).toBeGreaterThan(1_300);
      expect(blocked.message).toMatch(/^delayMaxMs \d+(\.\d+)? is above 1000$/);

      await sleep(50);
      const after = await checkOnce(indicator);
      expect(after.status).toBe('up');
    } finally {
      await indicator.close();
    }
  });

  it('sees a block that starts right after a check (the first interval after a reset)', async () => {
    const indicator = eventLoopIndicator({ delayMaxMs: { downAbove: 300 } });
    try {
      await sleep(30);
      await checkOnce(indicator);
      blockLoop(500); // before the histogram's next sample
      const result = await checkOnce(indicator);
      expect(result.status).toBe('down');
      expect((result.data as Record<string, number>).delayMaxMs).toBeGreaterThan(400);
    } finally {
      await indicator.close();
    }
  });

  it('takes levels for the 99th percentile and the utilization; {} turns the default off', async () => {
    const indicator = eventLoopIndicator({
      delayMaxMs: {},
      delayP99Ms: { degradedAbove: 0 },
      utilizationPercent: { downAbove: 0 },
    });
    try {
      await sleep(30);
      blockLoop(30);
      const result = await checkOnce(indicator);
      expect(result.status).toBe('down');
      expect(result.message).toMatch(
        /^utilizationPercent .* is above 0; delayP99Ms .* is above 0$/,
      );
    } finally {
      await indicator.close();
    }
  });

  it('measures again after close()', async () => {
    const indicator = eventLoopIndicator();
    await indicator.close();
    await indicator.close(); // idempotent
    const result = await checkOnce(indicator);
    expect(result.status).toBe('up');
    await indicator.close();
  });

  it('rejects invalid levels, naming the factory and the option', () => {
    expect(() =>
      eventLoopIndicator({ delayMaxMs: { degradedAbove: 5_000, downAbove: 1_000 } }),
    ).toThrow(InvalidHealthIndicatorOptionsError);
    expect(() =>
      eventLoopIndicator({ delayMaxMs: { degradedAbove: 5_000, downAbove: 1_000 } }),
    ).toThrow(/eventLoopIndicator\(\)[\s\S]*"delayMaxMs" is .*downAbove ≥ degradedAbove/);
    expect(() => eventLoopIndicator({ utilizationPercent: { degradedAbove: 150 } })).toThrow(
      /"utilizationPercent" .* numbers from 0 to 100/,
    );
    expect(() => eventLoopIndicator({ delayMs: 5 } as never)).toThrow(/"delayMs" is not an option/);
    expect(() => eventLoopIndicator({ intervalMs: 1 })).toThrow(/"intervalMs" is 1/);
  });

  describe('in the module (liveness)', () => {
    let app: INestApplication | undefined;

    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    it('turns liveness degraded after a block, and back up in the next window', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          HealthModule.forRoot({
            logger: false,
            // lower levels than the defaults, so that the spec blocks the loop for less time
            indicators: [
              eventLoopIndicator({ intervalMs: 200, delayMaxMs: { degradedAbove: 300 } }),
            ],
          }),
        ],
      }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      await app.init();
      const state = app.get(HealthStateStore);
      const status = () => state.indicator('event-loop')?.status;
      await waitUntil(() => status() === 'up');
      expect(state.group('liveness')?.checks).toHaveProperty('event-loop');

      blockLoop(500);
      await waitUntil(() => status() === 'degraded');
      expect(state.group('liveness')?.status).toBe('degraded');
      expect(state.indicator('event-loop')?.message).toMatch(/delayMaxMs/);
      await waitUntil(() => status() === 'up');
    });
  });
});

async function waitUntil(predicate: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}
