// Telemetry cost: probes and check runs of an app with `telemetry: true` and no OpenTelemetry SDK
// registered, side by side with the same app without `telemetry`, and (for scale) with an SDK.
//
//   npm run bench:telemetry -- [--rounds 2] [--duration-s 5] [--indicators 40] [--interval-ms 100]
//
// Each case is a bare Nest app (Express) in this process with `indicators` checks that answer at
// once, every `interval-ms` (40 × 100 ms: 400 runs a second, far more than an app has, so that
// the per-run work shows). Two figures per case:
// - probes: autocannon (10 connections) on GET /health/ready for `duration-s` seconds: requests
//   per second and p99 latency;
// - runs: with no load, this process's CPU time over 3 s divided by the runs in that window
//   (microseconds of CPU per run, the scheduler's, runner's and every reader's work included).
// The cases alternate (off, on, sdk, off, on, sdk, …) for `rounds` rounds, and the medians are
// printed with the ratio of `on` to `off`. One process and two cores: the load generator shares
// them with the app, so compare the cases with each other, not with the probe benchmark.
import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { HealthModule, HealthRegistry, HealthStateStore, up } from 'nest-health';

/** autocannon (no types of its own), as far as this bench uses it. */
const autocannon = createRequire(__filename)('autocannon') as (options: {
  url: string;
  connections: number;
  duration: number;
}) => Promise<{ requests: { average: number }; latency: { p99: number } }>;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    'duration-s': { type: 'string', default: '5' },
    indicators: { type: 'string', default: '40' },
    'interval-ms': { type: 'string', default: '100' },
  },
});
const ROUNDS = Number(values.rounds);
const DURATION_S = Number(values['duration-s']);
const INDICATORS = Number(values.indicators);
const INTERVAL_MS = Number(values['interval-ms']);
const IDLE_MS = 3_000;

type Case = 'off' | 'on' | 'sdk';

/** A reader nobody collects from: the SDK aggregates every record, and nothing is exported. */
class IdleReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

interface Figures {
  requestsPerSecond: number;
  p99Ms: number;
  cpuMicrosPerRun: number;
}

async function start(kind: Case): Promise<{ app: INestApplication; stop: () => Promise<void> }> {
  let stopSdk = async () => {};
  if (kind === 'sdk') {
    const tracerProvider = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })],
    });
    const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
    stopSdk = async () => {
      trace.disable();
      metrics.disable();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    };
  }
  @Module({
    imports: [
      HealthModule.forRoot({
        logger: false,
        history: false,
        defaults: { intervalMs: INTERVAL_MS, timeoutMs: 1_000 },
        ...(kind === 'off' ? {} : { telemetry: true }),
      }),
    ],
  })
  class BenchModule {}
  const app = await NestFactory.create(BenchModule, { logger: false, abortOnError: false });
  const registry = app.get(HealthRegistry);
  for (let i = 0; i < INDICATORS; i += 1) {
    registry.register(() => up(), { name: `check-${i}` });
  }
  await app.listen(0, '127.0.0.1');
  return {
    app,
    stop: async () => {
      await app.close();
      await stopSdk();
    },
  };
}

async function measure(kind: Case): Promise<Figures> {
  const { app, stop } = await start(kind);
  try {
    const url = `${await app.getUrl()}/health/ready`.replace('[::1]', '127.0.0.1');
    await autocannon({ url, connections: 10, duration: 1 }); // warm-up
    const result = await autocannon({ url, connections: 10, duration: DURATION_S });
    let runs = 0;
    const counting = app.get(HealthStateStore).results.subscribe(() => (runs += 1));
    const cpu = process.cpuUsage();
    await sleep(IDLE_MS);
    const used = process.cpuUsage(cpu);
    counting.unsubscribe();
    return {
      requestsPerSecond: result.requests.average,
      p99Ms: result.latency.p99,
      cpuMicrosPerRun: (used.user + used.system) / Math.max(runs, 1),
    };
  } finally {
    await stop();
  }
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function main(): Promise<void> {
  const cases: Case[] = ['off', 'on', 'sdk'];
  const results = new Map<Case, Figures[]>(cases.map((kind) => [kind, []]));
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const kind of cases) {
      const figures = await measure(kind);
      results.get(kind)?.push(figures);
      process.stderr.write(`round ${round} ${kind}: ${JSON.stringify(figures)}\n`);
    }
  }
  const summary = Object.fromEntries(
    cases.map((kind) => {
      const list = results.get(kind) ?? [];
      return [
        kind,
        {
          requestsPerSecond: Math.round(median(list.map((f) => f.requestsPerSecond))),
          p99Ms: median(list.map((f) => f.p99Ms)),
          cpuMicrosPerRun: Math.round(median(list.map((f) => f.cpuMicrosPerRun)) * 10) / 10,
        },
      ];
    }),
  ) as Record<Case, Figures>;
  console.table(summary);
  const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
  console.log(
    `telemetry on, no SDK / off: probes ${ratio(summary.on.requestsPerSecond, summary.off.requestsPerSecond)}× the requests per second, ` +
      `${ratio(summary.on.cpuMicrosPerRun, summary.off.cpuMicrosPerRun)}× the CPU per run ` +
      `(${INDICATORS} indicators every ${INTERVAL_MS} ms, ${ROUNDS} rounds of ${DURATION_S} s)`,
  );
}

void main();
