import {
  createNoopMeter,
  metrics,
  ProxyTracerProvider,
  trace,
  type Meter,
  type TracerProvider as TracerProviderLike,
} from '@opentelemetry/api';
import {
  MeterProvider,
  MetricReader,
  DataPointType,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HealthStateStore, HealthTelemetry, type HealthCheckFunction } from 'nest-health';
import { exampleApp, HTTP_ADAPTERS, type RunningExampleApp } from './helpers/example-app';
import { tcpConnectCheck } from './helpers/tcp-checks';
import { closedPort, TestTcpServer } from './helpers/tcp-server';
import { waitFor } from './helpers/wait-for';

const execFileAsync = promisify(execFile);
const SECRET = 'OtelSecret-314159';

/** A metric reader the spec collects from when it wants, as an exporter's reader would. */
class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/**
 * A check of the TCP server at `port` that fails, as a database client's error does, with a
 * connection string holding a password in its message.
 */
function upstreamCheck(port: number): HealthCheckFunction {
  const connect = tcpConnectCheck(port);
  return async (context) => {
    try {
      return await connect(context);
    } catch (error) {
      throw new Error(
        `connect ECONNREFUSED postgres://orders:${SECRET}@127.0.0.1:${port}/orders (${(error as Error).message})`,
      );
    }
  };
}

/** The module's metrics (its meter's) from one collection. */
async function collect(reader: MetricReader): Promise<MetricData[]> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return resourceMetrics.scopeMetrics
    .filter((scope) => scope.scope.name === 'nest-health')
    .flatMap((scope) => scope.metrics);
}

/** How a metric's points aggregate: a counter is a monotonic sum, an up-down counter not. */
function kindOf(data: MetricData): string {
  if (data.dataPointType === DataPointType.HISTOGRAM) return 'histogram';
  if (data.dataPointType === DataPointType.SUM) {
    return data.isMonotonic ? 'monotonic sum' : 'non-monotonic sum';
  }
  return 'other';
}

function metric(collected: readonly MetricData[], name: string): MetricData | undefined {
  return collected.find((m) => m.descriptor.name === name);
}

/** The value of the data point of `name` whose attributes include `attributes`. */
function value(
  collected: readonly MetricData[],
  name: string,
  attributes: Record<string, unknown>,
): unknown {
  const points = (metric(collected, name)?.dataPoints ?? []) as DataPoint<unknown>[];
  return points.find((point) =>
    Object.entries(attributes).every(([key, v]) => point.attributes[key] === v),
  )?.value;
}

/** The status whose `metricName` series is 1 for the subject named `name`. */
function statusOf(
  collected: readonly MetricData[],
  metricName: string,
  nameAttribute: string,
  name: string,
): unknown {
  const points = (metric(collected, metricName)?.dataPoints ?? []) as DataPoint<number>[];
  const current = points.filter((p) => p.attributes[nameAttribute] === name && p.value === 1);
  return current.length === 1 ? current[0].attributes['health.status'] : current.length;
}

describe.each(HTTP_ADAPTERS)('on %s, OpenTelemetry through a dependency outage', (adapter) => {
  let upstream: TestTcpServer;
  let app: RunningExampleApp;
  let spans: InMemorySpanExporter;
  let tracerProvider: TracerProvider;
  let reader: CollectingReader;
  let meterProvider: MeterProvider;

  beforeAll(async () => {
    upstream = await TestTcpServer.start();
    spans = new InMemorySpanExporter();
    tracerProvider = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
    });
    reader = new CollectingReader();
    meterProvider = new MeterProvider({ readers: [reader] });
    expect(trace.setGlobalTracerProvider(tracerProvider)).toBe(true);
    expect(metrics.setGlobalMeterProvider(meterProvider)).toBe(true);
    app = await exampleApp(adapter).withHealthOptions({ telemetry: true }).start();
    app.registry.register(upstreamCheck(upstream.port), { name: 'upstream' });
    await app.waitForCheck('upstream', 'up');
  });

  afterAll(async () => {
    await app?.close();
    trace.disable();
    metrics.disable();
    await tracerProvider?.shutdown();
    await meterProvider?.shutdown();
    await upstream?.stop();
  });

  const upstreamSpans = (): ReadableSpan[] =>
    spans.getFinishedSpans().filter((span) => span.name === 'health.check upstream');

  it('reports statuses, runs and the transition of a dependency going down, by the documented names', async () => {
    const before = await waitFor(async () => {
      const collected = await collect(reader);
      expect(
        statusOf(collected, 'health.indicator.status', 'health.indicator.name', 'upstream'),
      ).toBe('up');
      expect(statusOf(collected, 'health.group.status', 'health.group.name', 'readiness')).toBe(
        'up',
      );
      return collected;
    });
    expect(value(before, 'health.check.failures', { 'health.indicator.name': 'upstream' })).toBe(0);

    await upstream.stop();

    const after = await waitFor(async () => {
      const collected = await collect(reader);
      expect(
        statusOf(collected, 'health.indicator.status', 'health.indicator.name', 'upstream'),
      ).toBe('down');
      expect(statusOf(collected, 'health.group.status', 'health.group.name', 'readiness')).toBe(
        'down',
      );
      return collected;
    });
    // Every status has its series: 0 for the others.
    expect(
      value(after, 'health.indicator.status', {
        'health.indicator.name': 'upstream',
        'health.status': 'up',
      }),
    ).toBe(0);
    expect(statusOf(after, 'health.group.status', 'health.group.name', 'liveness')).toBe('up');
    expect(
      value(after, 'health.check.failures', { 'health.indicator.name': 'upstream' }),
    ).toBeGreaterThan(0);
    // Every indicator has its series from its first run, 0 until it fails or times out.
    expect(
      typeof value(after, 'health.check.failures', { 'health.indicator.name': 'database' }),
    ).toBe('number');
    expect(
      typeof value(after, 'health.check.timeouts', { 'health.indicator.name': 'upstream' }),
    ).toBe('number');
    expect(
      value(after, 'health.transitions', {
        'health.indicator.name': 'upstream',
        'health.previous_status': 'up',
        'health.status': 'down',
      }),
    ).toBe(1);
    const downRuns = value(after, 'health.check.duration', {
      'health.indicator.name': 'upstream',
      'health.status': 'down',
      'health.check.timed_out': false,
    }) as Histogram | undefined;
    expect(downRuns?.count).toBeGreaterThan(0);

    expect(
      Object.fromEntries(
        after
          .map((m) => [m.descriptor.name, `${kindOf(m)} ${m.descriptor.unit}`])
          .sort(([a], [b]) => a.localeCompare(b)),
      ),
    ).toEqual({
      'health.check.duration': 'histogram s',
      'health.check.failures': 'monotonic sum {failure}',
      'health.check.timeouts': 'monotonic sum {timeout}',
      'health.group.status': 'non-monotonic sum 1',
      'health.indicator.status': 'non-monotonic sum 1',
      'health.transitions': 'monotonic sum {transition}',
    });
    expect(JSON.stringify(after)).not.toContain(SECRET);
  });

  it('records each run as a root span with its attributes, a redacted error and its transitions', async () => {
    const down = await waitFor(() => {
      const found = upstreamSpans().filter((s) => s.attributes['health.status'] === 'down');
      expect(found.length).toBeGreaterThan(0);
      return found;
    });
    const up = upstreamSpans().filter((s) => s.attributes['health.status'] === 'up');
    expect(up.length).toBeGreaterThan(0);

    for (const span of [...up, ...down]) {
      expect(span.parentSpanContext).toBeUndefined(); // a root: never a probe request's child
      expect(span.instrumentationScope.name).toBe('nest-health');
      expect(span.attributes).toMatchObject({
        'health.indicator.name': 'upstream',
        'health.indicator.groups': ['readiness'],
        'health.check.timed_out': expect.any(Boolean),
        'health.indicator.effective_status': expect.stringMatching(/^(up|down)$/),
      });
      expect(span.duration[0] * 1e9 + span.duration[1]).toBeGreaterThanOrEqual(0);
    }
    // Each run is a trace of its own.
    const traces = new Set([...up, ...down].map((span) => span.spanContext().traceId));
    expect(traces.size).toBe(up.length + down.length);

    expect(up[0].status.code).toBe(0); // UNSET
    // A refused connection (a run that timed out on a loaded machine says so instead).
    const failed = down.find((span) => span.attributes['health.check.timed_out'] === false);
    expect(failed).toBeDefined();
    if (!failed) return;
    expect(failed.status.code).toBe(2); // ERROR
    expect(failed.status.message).toMatch(/^connect ECONNREFUSED postgres:\/\/orders:\*\*\*@/);

    const transitions = upstreamSpans()
      .flatMap((span) => span.events)
      .filter((event) => event.name === 'health.transition')
      .map((event) => event.attributes);
    expect(transitions).toEqual(
      expect.arrayContaining([
        {
          'health.indicator.name': 'upstream',
          'health.previous_status': 'unknown',
          'health.status': 'up',
        },
        {
          'health.indicator.name': 'upstream',
          'health.previous_status': 'up',
          'health.status': 'down',
        },
        {
          'health.group.name': 'readiness',
          'health.previous_status': 'up',
          'health.status': 'down',
        },
      ]),
    );
    // The other indicators' runs are spans too, and nothing exported holds the secret.
    const names = new Set(spans.getFinishedSpans().map((span) => span.name));
    expect([...names]).toEqual(expect.arrayContaining(['health.check database']));
    const exported = spans.getFinishedSpans().map((span) => ({
      name: span.name,
      attributes: span.attributes,
      events: span.events,
      status: span.status,
    }));
    expect(JSON.stringify(exported)).not.toContain(SECRET);
    expect(app.app.get(HealthTelemetry).failures).toBe(0);
  });
});

describe.each(HTTP_ADAPTERS)('on %s, OpenTelemetry with no SDK registered', (adapter) => {
  let app: RunningExampleApp;
  let tracerProvider: TracerProvider | undefined;
  let meterProvider: MeterProvider | undefined;

  afterEach(async () => {
    await app?.close();
    trace.disable();
    metrics.disable();
    await tracerProvider?.shutdown();
    await meterProvider?.shutdown();
  });

  it('records nothing until an SDK is registered, then picks it up at the next run', async () => {
    trace.disable();
    metrics.disable();
    // The API's no-op tracer provider and meter: the module must not even ask them for a
    // tracer or an instrument, let alone a span.
    const noopTracerProvider = Object.getPrototypeOf(
      new ProxyTracerProvider().getDelegate(),
    ) as TracerProviderLike;
    const noopMeter = Object.getPrototypeOf(createNoopMeter()) as Meter;
    const asked = [
      jest.spyOn(noopTracerProvider, 'getTracer'),
      jest.spyOn(noopMeter, 'createHistogram'),
      jest.spyOn(noopMeter, 'createCounter'),
      jest.spyOn(noopMeter, 'createObservableUpDownCounter'),
    ];
    app = await exampleApp(adapter).withHealthOptions({ telemetry: true }).start();
    const telemetry = app.app.get(HealthTelemetry);
    expect(telemetry.enabled).toBe(true);
    let runs = 0;
    const counting = app.app.get(HealthStateStore).results.subscribe(() => (runs += 1));
    await waitFor(() => expect(runs).toBeGreaterThanOrEqual(10));
    counting.unsubscribe();
    for (const spy of asked) {
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    }

    // Runs went by with the API's no-op providers; now the app registers an SDK.
    const spans = new InMemorySpanExporter();
    tracerProvider = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
    });
    const reader = new CollectingReader();
    meterProvider = new MeterProvider({ readers: [reader] });
    const registeredAt = Date.now();
    expect(trace.setGlobalTracerProvider(tracerProvider)).toBe(true);
    expect(metrics.setGlobalMeterProvider(meterProvider)).toBe(true);

    const recorded = await waitFor(() => {
      const found = spans.getFinishedSpans().filter((s) => s.name === 'health.check database');
      expect(found.length).toBeGreaterThan(0);
      return found;
    });
    // Only runs that ended after the registration: nothing was made (nor kept) before it.
    for (const span of spans.getFinishedSpans()) {
      const endMs = span.endTime[0] * 1000 + span.endTime[1] / 1e6;
      expect(endMs).toBeGreaterThanOrEqual(registeredAt - 1);
    }
    expect(recorded[0].attributes).toMatchObject({
      'health.indicator.name': 'database',
      'health.status': expect.stringMatching(/^(up|degraded|down)$/),
    });
    const collected = await waitFor(async () => {
      const found = await collect(reader);
      expect(
        value(found, 'health.check.failures', { 'health.indicator.name': 'database' }),
      ).toEqual(expect.any(Number));
      return found;
    });
    expect(
      statusOf(collected, 'health.indicator.status', 'health.indicator.name', 'database'),
    ).toEqual(expect.stringMatching(/^(up|degraded|down)$/));
    expect(telemetry.failures).toBe(0);
  });
});

/** An OTLP/HTTP receiver on loopback: keeps each request's content type and decoded body. */
class OtlpReceiver {
  readonly requests: { path: string; contentType: string; body: unknown }[] = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<OtlpReceiver> {
    const server = createServer();
    const receiver = new OtlpReceiver(server);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        receiver.requests.push({
          path: request.url ?? '',
          contentType: request.headers['content-type'] ?? '',
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
        });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** OTLP/JSON's `ExportTraceServiceRequest`, as far as the spec reads it. */
interface OtlpTraces {
  resourceSpans: {
    scopeSpans: {
      scope: { name: string };
      spans: {
        name: string;
        parentSpanId?: string;
        attributes: { key: string; value: Record<string, unknown> }[];
        status?: { code?: number; message?: string };
      }[];
    }[];
  }[];
}

describe('OpenTelemetry over OTLP/HTTP to a receiver on loopback', () => {
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });

  afterAll(async () => {
    await receiver?.close();
  });

  it('exports the run spans, decoded from OTLP/JSON, with the redacted error only', async () => {
    // The app runs in a process of its own: the OTLP exporter loads node:http with a dynamic
    // import, which Jest's module sandbox refuses.
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        '--require',
        './test/helpers/register-typescript.cjs',
        'test/helpers/otlp-exporting-app.ts',
        receiver.url,
        String(await closedPort()),
        SECRET,
      ],
      { cwd: join(__dirname, '..'), timeout: 60_000 },
    );
    expect(stdout).toBe('exported\n');

    const spans = receiver.requests
      .flatMap((r) => (r.body as OtlpTraces).resourceSpans)
      .flatMap((resource) => resource.scopeSpans)
      .filter((scope) => scope.scope.name === 'nest-health')
      .flatMap((scope) => scope.spans)
      .filter((s) => s.name === 'health.check upstream');
    expect(spans.length).toBeGreaterThanOrEqual(2);
    expect(receiver.requests[0]).toMatchObject({
      path: '/v1/traces',
      contentType: expect.stringMatching(/^application\/json/),
    });
    const attributesOf = (span: (typeof spans)[number]) =>
      Object.fromEntries(span.attributes.map((a) => [a.key, a.value]));
    // Refused connections (a run that timed out on a loaded machine says so instead).
    const refused = spans.filter(
      (span) => attributesOf(span)['health.check.timed_out']?.boolValue === false,
    );
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const span of refused) {
      expect(span.parentSpanId ?? '').toBe('');
      const attributes = attributesOf(span);
      expect(attributes).toMatchObject({
        'health.indicator.name': { stringValue: 'upstream' },
        'health.status': { stringValue: 'down' },
        'health.check.timed_out': { boolValue: false },
        'health.indicator.groups': { arrayValue: { values: [{ stringValue: 'readiness' }] } },
      });
      expect(span.status).toMatchObject({
        code: 2,
        message: expect.stringMatching(/^connect ECONNREFUSED postgres:\/\/orders:\*\*\*@/),
      });
    }
    expect(JSON.stringify(receiver.requests)).not.toContain(SECRET);
  }, 90_000);
});

describe.each(HTTP_ADAPTERS)('on %s, an OpenTelemetry SDK that throws', (adapter) => {
  let app: RunningExampleApp;

  afterEach(async () => {
    await app?.close();
    trace.disable();
  });

  it('changes no probe answer: the failure is logged once and counted', async () => {
    // A tracer whose every span fails, as a misconfigured SDK's might.
    const fail = (): never => {
      throw new Error(`exporter misconfigured: https://user:${SECRET}@collector`);
    };
    const broken: TracerProviderLike = {
      getTracer: () => ({ startSpan: fail, startActiveSpan: fail }),
    };
    expect(trace.setGlobalTracerProvider(broken)).toBe(true);
    app = await exampleApp(adapter).withHealthOptions({ telemetry: true }).start();
    const telemetry = app.app.get(HealthTelemetry);

    await waitFor(() => expect(telemetry.failures).toBeGreaterThanOrEqual(5));
    await app.waitForCheck('database', 'up');
    await app.get('/health/live').expect(200);

    const lines = app.logs
      .linesOf('warn', 'HealthModule')
      .filter((line) => line.startsWith('OpenTelemetry'));
    expect(lines).toEqual([
      'OpenTelemetry: recording a health check failed (Error); further failures are counted, not logged.',
    ]);
    expect(JSON.stringify(app.logs.linesOf('warn', 'HealthModule'))).not.toContain(SECRET);
  });
});
