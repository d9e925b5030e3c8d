import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { exampleApp, HTTP_ADAPTERS, SERVICES, type RunningExampleApp } from './helpers/example-app';
import { ExampleProcess } from './helpers/example-process';
import { waitFor } from './helpers/wait-for';

const K8S_DIR = join(__dirname, '../apps/example/k8s');

interface HttpProbe {
  readonly httpGet: { readonly path: string; readonly port: string | number };
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
  readonly successThreshold?: number;
}

interface Container {
  readonly name: string;
  readonly ports: ReadonlyArray<{ readonly name?: string; readonly containerPort: number }>;
  readonly env: ReadonlyArray<{ readonly name: string; readonly value?: string }>;
  readonly startupProbe: HttpProbe;
  readonly livenessProbe: HttpProbe;
  readonly readinessProbe: HttpProbe;
  readonly lifecycle?: { readonly preStop?: { readonly sleep?: { readonly seconds: number } } };
}

interface Deployment {
  readonly kind: 'Deployment';
  readonly spec: {
    readonly selector: { readonly matchLabels: Record<string, string> };
    readonly template: {
      readonly spec: {
        readonly terminationGracePeriodSeconds: number;
        readonly containers: readonly Container[];
      };
    };
  };
}

interface Service {
  readonly kind: 'Service';
  readonly spec: {
    readonly selector: Record<string, string>;
    readonly ports: ReadonlyArray<{ readonly port: number; readonly targetPort: string | number }>;
  };
}

type Manifest = Deployment | Service | { readonly kind: string; readonly spec?: unknown };

/** Every document of every YAML file in apps/example/k8s. */
function loadManifests(): Manifest[] {
  return readdirSync(K8S_DIR)
    .filter((file) => /\.ya?ml$/.test(file))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(K8S_DIR, file), 'utf8')).map((document) => {
        expect([file, document.errors]).toEqual([file, []]);
        return document.toJS() as Manifest;
      }),
    );
}

const manifests = loadManifests();
const deployment = manifests.find((m): m is Deployment => m.kind === 'Deployment')!;
const service = manifests.find((m): m is Service => m.kind === 'Service')!;
const container = deployment.spec.template.spec.containers[0];
const env = (name: string) => container.env.find((e) => e.name === name)?.value;
const probes = () =>
  [container.startupProbe, container.livenessProbe, container.readinessProbe] as const;

describe('the Kubernetes manifests of the example app', () => {
  it('have a Deployment and a Service', () => {
    expect(deployment).toBeDefined();
    expect(service).toBeDefined();
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
  });

  it('point every probe at the port the app listens on', () => {
    const port = container.ports.find((p) => p.name === 'http')!;
    expect(port.containerPort).toBe(Number(env('PORT')));
    for (const probe of probes()) expect(probe.httpGet.port).toBe('http');
    expect(service.spec.ports[0].targetPort).toBe('http');
  });

  it('give each probe a timeout below its period, and the startup probe room to start', () => {
    for (const probe of probes()) {
      expect(probe.timeoutSeconds).toBeGreaterThanOrEqual(1);
      expect(probe.timeoutSeconds).toBeLessThan(probe.periodSeconds);
    }
    const { startupProbe, livenessProbe } = container;
    expect(startupProbe.periodSeconds * startupProbe.failureThreshold).toBeGreaterThanOrEqual(60);
    // A liveness probe that gives up fast restarts pods on a GC pause.
    expect(livenessProbe.periodSeconds * livenessProbe.failureThreshold).toBeGreaterThanOrEqual(20);
  });

  it('drain for about the time the readiness probe takes to notice, within the grace period', () => {
    const delayMs = Number(env('SHUTDOWN_DELAY_MS'));
    const { readinessProbe } = container;
    const noticeMs = readinessProbe.periodSeconds * readinessProbe.failureThreshold * 1000;
    expect(delayMs).toBeGreaterThanOrEqual(readinessProbe.periodSeconds * 1000);
    expect(delayMs).toBeLessThanOrEqual(noticeMs);
    const preStopMs = (container.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;
    const graceMs = deployment.spec.template.spec.terminationGracePeriodSeconds * 1000;
    // The delay, a preStop sleep if any, and at least 5 s to close must fit before SIGKILL.
    expect(graceMs).toBeGreaterThanOrEqual(preStopMs + delayMs + 5_000);
  });
});

describe.each(HTTP_ADAPTERS)('the probe paths of the manifests, on %s', (adapter) => {
  let app: RunningExampleApp;

  beforeAll(async () => {
    app = await exampleApp(adapter).start();
    await waitFor(() => app.get('/health/startup').expect(200));
  });

  afterAll(async () => {
    await app?.close();
  });

  it.each(['startupProbe', 'livenessProbe', 'readinessProbe'] as const)(
    'the %s path is a health endpoint of the app (200 or 503, never 404)',
    async (probe) => {
      const res = await app.get(container[probe].httpGet.path);
      expect([200, 503]).toContain(res.status);
      expect(res.body).toMatchObject({ status: expect.stringMatching(/^(up|degraded|down)$/) });
    },
  );
});

describe('the app the Deployment runs (main.ts with the manifest environment)', () => {
  let example: ExampleProcess | undefined;
  let url: string;

  beforeAll(async () => {
    // The manifest's own variables, with the secrets pointing at the local services and a free
    // port (the container's 3000 may be taken here).
    const manifestEnv = Object.fromEntries(
      container.env.flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
    );
    expect(Object.keys(manifestEnv)).toEqual(
      expect.arrayContaining(['PORT', 'HTTP_ADAPTER', 'SHUTDOWN_DELAY_MS']),
    );
    example = ExampleProcess.start({
      ...manifestEnv,
      PORT: '0',
      SHUTDOWN_DELAY_MS: '0',
      DATABASE_URL: SERVICES.databaseUrl,
      REDIS_URL: SERVICES.redisUrl,
    });
    url = (await example.url()).replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1');
  }, 60_000);

  afterAll(async () => {
    await example?.stop();
  });

  it('checks the event loop in liveness, as the liveness probe comment says, and no dependency', async () => {
    const body = await waitFor(async () => {
      const response = await fetch(`${url}${container.livenessProbe.httpGet.path}`);
      const json = (await response.json()) as {
        group: string;
        checks?: Record<string, { status: string }>;
      };
      expect(json.checks?.['event-loop']?.status).toBe('up');
      return json;
    });
    expect(body.group).toBe('liveness');
    // Only process checks: a dependency in liveness restarts every pod when it blips.
    expect(Object.keys(body.checks ?? {})).toEqual(['event-loop']);
    expect(livenessComment()).toMatch(/event-loop indicator/);
  });
});

/** The comment lines right above `livenessProbe:` in deployment.yaml. */
function livenessComment(): string {
  const lines = readFileSync(join(K8S_DIR, 'deployment.yaml'), 'utf8').split('\n');
  const probe = lines.findIndex((line) => line.trim() === 'livenessProbe:');
  const comment: string[] = [];
  for (let i = probe - 1; i >= 0 && lines[i].trim().startsWith('#'); i -= 1) {
    comment.unshift(lines[i].trim().replace(/^#\s?/, ''));
  }
  return comment.join(' ');
}
