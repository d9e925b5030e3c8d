import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { exampleApp, HTTP_ADAPTERS, type RunningExampleApp } from './helpers/example-app';

type Schema = {
  readonly title?: string;
  readonly required?: readonly string[];
  readonly properties?: Record<string, unknown>;
  readonly oneOf?: readonly Schema[];
};

type Responses = Record<string, { content?: Record<string, { schema: Schema }> }>;

const PROBES = [
  '/health/live',
  '/health/ready',
  '/health/startup',
  '/livez',
  '/readyz',
  '/startupz',
];
const GROUP_ROUTES = ['/health/group/{name}', '/health/group/{name}/{check}', '/readyz/{check}'];

/** Whether `body` has every required key of `schema` and no key the schema does not list. */
function fits(body: Record<string, unknown>, schema: Schema): boolean {
  const keys = Object.keys(body);
  return (
    (schema.required ?? []).every((key) => keys.includes(key)) &&
    keys.every((key) => key in (schema.properties ?? {}))
  );
}

describe.each(HTTP_ADAPTERS)('on %s, the OpenAPI document of the example app', (adapter) => {
  let app: RunningExampleApp;
  let document: OpenAPIObject;

  function responsesOf(path: string): Responses {
    const operation = document.paths[path]?.get;
    expect(operation).toBeDefined();
    return operation?.responses as Responses;
  }

  beforeAll(async () => {
    app = await exampleApp(adapter).start();
    document = SwaggerModule.createDocument(app.app, new DocumentBuilder().build());
    await app.waitForCheck('database', 'up');
  });

  afterAll(async () => {
    await app?.close();
  });

  it('lists the health endpoints beside the app own routes, under the health tag', () => {
    const paths = Object.keys(document.paths);
    expect(paths).toEqual(
      expect.arrayContaining(['/jobs', '/health', ...PROBES, ...GROUP_ROUTES, '/health/stream']),
    );
    expect(document.paths['/health/ready']?.get?.tags).toEqual(['health']);
    expect(document.paths['/jobs']?.post?.tags ?? []).not.toContain('health');
  });

  it('documents both status codes of every probe, in every format', () => {
    for (const path of [...PROBES, ...GROUP_ROUTES]) {
      const responses = responsesOf(path);
      for (const code of ['200', '503']) {
        const content = responses[code]?.content ?? {};
        expect({ path, code, types: Object.keys(content) }).toEqual({
          path,
          code,
          types: ['application/json', 'application/health+json', 'text/plain'],
        });
        expect(content['application/json'].schema.oneOf?.map((s) => s.title)).toEqual([
          'HealthProbeBody',
          'TerminusHealthBody',
        ]);
        expect(content['application/health+json'].schema.title).toBe('HealthJsonBody');
      }
      expect(responses['400']).toBeDefined();
    }
    for (const path of GROUP_ROUTES) expect(responsesOf(path)['404']).toBeDefined();
  });

  it('documents GET /health: 200, and 503 in the Terminus and health+json formats', () => {
    const responses = responsesOf('/health');
    expect(Object.keys(responses).sort()).toEqual(['200', '400', '503']);
    expect(responses['503'].content?.['application/health+json'].schema.title).toBe(
      'HealthJsonBody',
    );
    expect(document.paths['/health']?.get?.parameters).toEqual([
      expect.objectContaining({ name: 'fresh', in: 'query', required: false }),
    ]);
  });

  it('documents the query parameters of the probes, and the path parameters', () => {
    const parameters = document.paths['/health/group/{name}/{check}']?.get?.parameters ?? [];
    expect(parameters.map((p) => ('in' in p ? `${p.in}:${p.name}` : ''))).toEqual([
      'path:name',
      'path:check',
      'query:verbose',
      'query:exclude',
      'query:fresh',
    ]);
  });

  it('describes the answers the app really gives', async () => {
    const probe = responsesOf('/health/ready')['200'].content ?? {};
    const { body } = await app.get('/health/ready').expect(200);
    expect(fits(body as Record<string, unknown>, probe['application/json'].schema.oneOf![0])).toBe(
      true,
    );
    const healthJson = await app
      .get('/health/ready')
      .set('Accept', 'application/health+json')
      .expect(200);
    const parsed = JSON.parse(healthJson.text) as Record<string, unknown>;
    expect(fits(parsed, probe['application/health+json'].schema)).toBe(true);

    const details = responsesOf('/health')['200'].content ?? {};
    const { body: full } = await app.get('/health').expect(200);
    expect(
      fits(full as Record<string, unknown>, details['application/json'].schema.oneOf![0]),
    ).toBe(true);
  });
});
