// The process a soak run loads: the example app, as main.ts builds it, on a free port, answering
// the driver's measurement requests over IPC. Started by `SoakTarget.start()` with
//   node --expose-gc --require ./test/helpers/register-typescript.cjs test/helpers/soak-target.ts
import type { INestApplication } from '@nestjs/common';
import { HealthStateStore } from 'nest-health';
// The stream service is internal: the soak reads its subscriber count.
import { HealthStreamService } from 'nest-health/stream/health-stream.service';
import type { Server } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createExampleApp } from '../../apps/example/src/bootstrap';
import type { SoakMeasurement, SoakMessage } from './soak';

/** Listeners on the process and on the HTTP server, by event. */
function listenerCounts(server: Server): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [owner, emitter] of [
    ['process', process],
    ['server', server],
  ] as const) {
    for (const event of emitter.eventNames()) {
      counts[`${owner}:${String(event)}`] = emitter.listenerCount(event);
    }
  }
  return counts;
}

/** Observers of the state store's subjects (`changes`, and any other it keeps). */
function storeObservers(app: INestApplication): number {
  const store: object = app.get(HealthStateStore);
  let observers = 0;
  for (const value of Object.values(store)) {
    const list = (value as { observers?: unknown } | null)?.observers;
    if (Array.isArray(list)) observers += list.length;
  }
  return observers;
}

async function measure(app: INestApplication): Promise<SoakMeasurement> {
  const server = app.getHttpServer() as Server;
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i += 1) {
    gc?.();
    await nextTurn();
  }
  const memory = process.memoryUsage();
  const handles: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) handles[type] = (handles[type] ?? 0) + 1;
  const connections = await new Promise<number>((resolve) =>
    server.getConnections((_, count) => resolve(count)),
  );
  return {
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    handles,
    listeners: listenerCounts(server),
    streamSubscribers: app.get(HealthStreamService, { strict: false }).count,
    storeObservers: storeObservers(app),
    connections,
    gcExposed: gc !== undefined,
  };
}

async function main(): Promise<void> {
  const app = await createExampleApp({ logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  const send = (message: SoakMessage) => process.send!(message);
  process.on('message', (message: SoakMessage) => {
    if (message.type === 'measure') {
      void measure(app).then((measurement) => send({ type: 'measurement', measurement }));
    } else if (message.type === 'stop') {
      void app.close().then(() => process.exit(0));
    }
  });
  send({ type: 'listening', url: await app.getUrl() });
}

void main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
