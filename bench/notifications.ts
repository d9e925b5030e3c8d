// Notifications: what the engine pays per transition. The pipeline's `accept` runs on the
// state store's `changes`, synchronously inside the run that caused the transition; everything
// slow (the fleet lock, delivery) is asynchronous. This measures that synchronous part.
//
//   npm run bench:notifications -- [--channels 5] [--indicators 1000] [--changes 200000]
//
// Each change flips one of `--indicators` indicators between up and down (a flapping fleet, the
// worst case: every change is an alert or a recovery that the filters, the minimum interval
// and the batch see). The channels record messages without sending them. Prints the median of
// five runs, in microseconds per change.
import { parseArgs } from 'node:util';
import type { HealthChangeEvent } from '../libs/health/src/engine/health-state.types';
import { SYSTEM_NOTIFICATION_CLOCK } from '../libs/health/src/notifications/notification-clock';
import { NotificationPipeline } from '../libs/health/src/notifications/notification-pipeline';
import type { NotificationChannel } from '../libs/health/src/notifications/notification.types';
import { resolveNotificationsOptions } from '../libs/health/src/notifications/notifications.options';

const { values } = parseArgs({
  options: {
    channels: { type: 'string', default: '5' },
    indicators: { type: 'string', default: '1000' },
    changes: { type: 'string', default: '200000' },
  },
});
const channelCount = Number(values.channels);
const indicatorCount = Number(values.indicators);
const changeCount = Number(values.changes);

function run(): number {
  const options = resolveNotificationsOptions(
    {
      channels: Array.from({ length: channelCount }, (_, i) => ({
        type: 'webhook',
        name: `c${i}`,
        // Half the channels see everything, half one indicator in ten (a filter that says no).
        ...(i % 2 === 1
          ? { filter: { indicator: Array.from({ length: 100 }, (_, j) => `i${j * 10}`) } }
          : {}),
      })),
    },
    undefined,
  )!;
  let delivered = 0;
  const channels: NotificationChannel[] = options.channels.map((channel) => ({
    type: 'recording',
    name: channel.name,
    target: 'recording://…',
    deliver: () => {
      delivered += 1;
      return Promise.resolve();
    },
  }));
  const pipeline = new NotificationPipeline(options, channels, {
    clock: SYSTEM_NOTIFICATION_CLOCK,
    random: Math.random,
    logger: { log: () => undefined, warn: () => undefined },
    report: () => undefined,
  });
  const down = new Uint8Array(indicatorCount);
  const since = new Date().toISOString();
  const started = performance.now();
  for (let n = 0; n < changeCount; n++) {
    const index = n % indicatorCount;
    const wasDown = down[index] === 1;
    down[index] = wasDown ? 0 : 1;
    pipeline.accept({
      type: 'indicator',
      name: `i${index}`,
      previous: wasDown ? 'down' : 'up',
      current: wasDown ? 'up' : 'down',
      since,
      message: 'connect ECONNREFUSED 10.0.0.7:5432',
      durationMs: 1,
      groups: {},
    } as unknown as HealthChangeEvent);
  }
  const elapsed = performance.now() - started;
  void pipeline.close(Promise.resolve()).then(() => delivered);
  return (elapsed * 1000) / changeCount;
}

const runs = Array.from({ length: 5 }, run).sort((a, b) => a - b);
process.stdout.write(
  `notifications: ${channelCount} channels, ${indicatorCount} indicators, ${changeCount} changes per run\n` +
    `  engine-side cost per change (median of 5): ${runs[2].toFixed(2)} µs (min ${runs[0].toFixed(2)}, max ${runs[4].toFixed(2)})\n`,
);
