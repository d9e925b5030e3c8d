import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { exampleApp, HTTP_ADAPTERS, type RunningExampleApp } from './helpers/example-app';

type Schema = {
  readonly $ref?: string;
  readonly type?: string;
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

/** The named schemas of the health answers, as the document's components. */
const COMPONENTS = [
  'HealthProbeResponse',
  'HealthDetailsResponse',
  'HealthTerminusResponse',
  'HealthJsonDraftResponse',
  'HealthErrorResponse',
];

/**
 * Validates `document` with @seriousme/openapi-schema-validator (an ES module: run in a child
 * process), every `$ref` resolved.
 */
function validateOpenApi(document: unknown): Promise<{ valid: boolean; errors: unknown }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [join(__dirname, 'helpers/validate-openapi.cjs')],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as { valid: boolean; errors: unknown });
      },
    );
    child.stdin?.end(JSON.stringify(document));
  });
}

/** How many times `text` occurs in `within`. */
function occurrences(within: string, text: string): number {
  return within.split(text).length - 1;
}

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

  /** The component a `{ $ref }` schema refers to; `schema` itself otherwise. */
  function resolved(schema: Schema): Schema {
    if (schema.$ref === undefined) return schema;
    const name = schema.$ref.replace('#/components/schemas/', '');
    return document.components?.schemas?.[name] as Schema;
  }

  /** The component names `schema` refers to (itself, or its `oneOf` members). */
  function refsOf(schema: Schema): (string | undefined)[] {
    return (schema.oneOf ?? [schema]).map((s) => s.$ref?.replace('#/components/schemas/', ''));
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
        expect(refsOf(content['application/json'].schema)).toEqual([
          'HealthProbeResponse',
          'HealthTerminusResponse',
        ]);
        expect(refsOf(content['application/health+json'].schema)).toEqual([
          'HealthJsonDraftResponse',
        ]);
      }
      expect(responses['400']).toBeDefined();
    }
    for (const path of GROUP_ROUTES) expect(responsesOf(path)['404']).toBeDefined();
  });

  it('documents GET /health: 200, and 503 in the Terminus and health+json formats', () => {
    const responses = responsesOf('/health');
    expect(Object.keys(responses).sort()).toEqual(['200', '400', '503']);
    expect(refsOf(responses['503'].content?.['application/health+json'].schema ?? {})).toEqual([
      'HealthJsonDraftResponse',
    ]);
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
    expect(
      fits(body as Record<string, unknown>, resolved(probe['application/json'].schema.oneOf![0])),
    ).toBe(true);
    const healthJson = await app
      .get('/health/ready')
      .set('Accept', 'application/health+json')
      .expect(200);
    const parsed = JSON.parse(healthJson.text) as Record<string, unknown>;
    expect(fits(parsed, resolved(probe['application/health+json'].schema))).toBe(true);

    const details = responsesOf('/health')['200'].content ?? {};
    const { body: full } = await app.get('/health').expect(200);
    const detailsSchema = resolved(details['application/json'].schema.oneOf![0]);
    expect(fits(full as Record<string, unknown>, detailsSchema)).toBe(true);
    // Each check, with its uptime, lastUp and lastDown (history is on by default).
    const checkSchema = (detailsSchema.properties?.checks as { additionalProperties: Schema })
      .additionalProperties;
    const database = (full as { checks: Record<string, Record<string, unknown>> }).checks.database;
    expect(Object.keys(database)).toEqual(expect.arrayContaining(['uptime', 'lastUp', 'lastDown']));
    expect(fits(database, checkSchema)).toBe(true);

    const history = responsesOf('/health/history')['200'].content ?? {};
    const { body: all } = await app.get('/health/history?window=24h').expect(200);
    expect(fits(all as Record<string, unknown>, resolved(history['application/json'].schema))).toBe(
      true,
    );
    const one = responsesOf('/health/history/{indicator}')['200'].content ?? {};
    const { body: single } = await app.get('/health/history/database').expect(200);
    expect(fits(single as Record<string, unknown>, resolved(one['application/json'].schema))).toBe(
      true,
    );
    const group = responsesOf('/health/history/group/{name}')['200'].content ?? {};
    const { body: readiness } = await app.get('/health/history/group/readiness').expect(200);
    expect(
      fits(readiness as Record<string, unknown>, resolved(group['application/json'].schema)),
    ).toBe(true);
    expect(Object.keys(responsesOf('/health/history/group/{name}')).sort()).toEqual([
      '200',
      '400',
      '404',
    ]);
  });

  it('is a valid OpenAPI document, every $ref resolved (@seriousme/openapi-schema-validator)', async () => {
    await expect(validateOpenApi(document)).resolves.toEqual({ valid: true, errors: [] });
  });

  it('writes each answer schema once, under components.schemas, and refers to it with $ref', () => {
    expect(Object.keys(document.components?.schemas ?? {})).toEqual(
      expect.arrayContaining(COMPONENTS),
    );
    const healthPaths = Object.entries(document.paths).filter(([, item]) =>
      item.get?.tags?.includes('health'),
    );
    expect(healthPaths.length).toBeGreaterThanOrEqual(17);
    for (const [path, item] of healthPaths) {
      for (const [code, response] of Object.entries(item.get?.responses ?? {})) {
        for (const [type, media] of Object.entries(
          (response as { content?: Record<string, { schema: Schema }> }).content ?? {},
        )) {
          // A reference (or a choice of references), or a plain string (text, HTML, events).
          const schema = media.schema;
          const inline = schema.type === 'string' ? [] : refsOf(schema).filter((r) => !r);
          expect({ path, code, type, inline }).toEqual({ path, code, type, inline: [] });
        }
      }
    }
    // Words found in one schema only: each is written once in the whole document.
    const text = JSON.stringify(document);
    for (const word of [
      'consecutiveFailures', // HealthDetailsResponse
      'draft-inadarei-api-health-check-06', // HealthJsonDraftResponse
      '"enum":["ok","error","shutting_down"]', // HealthTerminusResponse
      "Each member's effective status, by name.", // HealthProbeResponse
    ]) {
      expect({ word, times: occurrences(text, word) }).toEqual({ word, times: 1 });
    }
    // 19 copies of about 7 KB each before; one of each now.
    const healthText = JSON.stringify(Object.fromEntries(healthPaths));
    expect(healthText.length / healthPaths.length).toBeLessThan(2_500);
  });
});
