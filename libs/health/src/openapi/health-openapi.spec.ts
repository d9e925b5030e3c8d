import type { INestApplication, Type } from '@nestjs/common';
import { ApiExcludeController, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HealthModule } from '../health.module';
import { createHealthControllers } from '../http/health.controllers';
import {
  documentHealthControllers,
  HEALTH_OPENAPI_SCHEMAS,
  HEALTH_OPENAPI_TAG,
  loadSwagger,
} from './health-openapi';

const execFileAsync = promisify(execFile);
const ROOT = join(__dirname, '../../../..');

/** swagger's metadata key of the responses of a handler. */
const API_RESPONSE = 'swagger/apiResponse';

function responsesOf(controller: Type, method: string): Record<string, unknown> | undefined {
  const handler = (controller.prototype as Record<string, unknown>)[method] as object;
  return Reflect.getMetadata(API_RESPONSE, handler) as Record<string, unknown> | undefined;
}

describe('OpenAPI documentation of the health endpoints', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('loads @nestjs/swagger when it is installed', () => {
    expect(loadSwagger()).toHaveProperty('ApiResponse');
  });

  it('documents each probe with its responses (200 and 503) and its query parameters', () => {
    const [controller] = createHealthControllers({
      path: 'health',
      aliases: false,
      dashboard: false,
      decorators: [],
    });
    documentHealthControllers([controller]);
    const responses = responsesOf(controller, 'ready');
    expect(Object.keys(responses ?? {}).sort()).toEqual(['200', '400', '503']);
    expect(Object.keys(responsesOf(controller, 'groupCheck') ?? {}).sort()).toEqual([
      '200',
      '400',
      '404',
      '503',
    ]);
    expect(Reflect.getMetadata('swagger/apiUseTags', controller)).toEqual([HEALTH_OPENAPI_TAG]);
  });

  it('puts the endpoints in the app document, with schemas for each media type', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ logger: false })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
    const ready = document.paths['/health/ready']?.get;
    expect(ready?.tags).toEqual([HEALTH_OPENAPI_TAG]);
    expect(ready?.parameters?.map((p) => ('name' in p ? p.name : ''))).toEqual([
      'verbose',
      'exclude',
      'fresh',
    ]);
    const ok = ready?.responses['200'] as { content: Record<string, { schema: unknown }> };
    expect(Object.keys(ok.content)).toEqual([
      'application/json',
      'application/health+json',
      'text/plain',
    ]);
    expect(ok.content['application/json'].schema).toEqual({
      oneOf: [
        { $ref: '#/components/schemas/HealthProbeResponse' },
        { $ref: '#/components/schemas/HealthTerminusResponse' },
      ],
    });
    expect(ok.content['application/health+json'].schema).toEqual({
      $ref: '#/components/schemas/HealthJsonDraftResponse',
    });
  });

  it('writes each answer schema as a component exactly as declared (but its title)', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ logger: false })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
    const components = document.components?.schemas ?? {};
    for (const [name, schema] of Object.entries(HEALTH_OPENAPI_SCHEMAS)) {
      const declared: Record<string, unknown> = { ...schema };
      delete declared.title;
      expect({ name, schema: components[name] }).toEqual({ name, schema: declared });
    }
  });

  it('leaves the endpoints out with decorators: [ApiExcludeController()]', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ logger: false, decorators: [ApiExcludeController()] })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
    expect(Object.keys(document.paths)).toEqual([]);
  });

  it('documents nothing when given no swagger (the package is missing)', () => {
    const [controller] = createHealthControllers({
      path: 'other',
      aliases: false,
      dashboard: false,
      decorators: [],
    });
    expect(documentHealthControllers([controller], null)).toEqual([controller]);
    expect(responsesOf(controller, 'ready')).toBeUndefined();
  });

  it('the module boots and serves without @nestjs/swagger installed', async () => {
    // A child process in which '@nestjs/swagger' cannot be resolved, as when it is not installed.
    const script = `
      const Module = require('node:module');
      let asked = 0;
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request === '@nestjs/swagger' || request.startsWith('@nestjs/swagger/')) {
          asked += 1;
          const error = new Error("Cannot find module '" + request + "'");
          error.code = 'MODULE_NOT_FOUND';
          throw error;
        }
        return resolve.call(this, request, ...rest);
      };
      require('reflect-metadata');
      const { NestFactory } = require('@nestjs/core');
      const { HealthModule } = require('nest-health');
      (async () => {
        const app = await NestFactory.create(HealthModule.forRoot({ logger: false }), { logger: false });
        await app.listen(0, '127.0.0.1');
        const answer = await fetch((await app.getUrl()) + '/health/ready');
        await app.close();
        process.stdout.write(JSON.stringify({ status: answer.status, asked }));
      })().catch((error) => { console.error(error); process.exit(1); });
    `;
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--require', './test/helpers/register-typescript.cjs', '-e', script],
      { cwd: ROOT },
    );
    const result = JSON.parse(stdout) as { status: number; asked: number };
    expect(result.status).toBe(200);
    expect(result.asked).toBeGreaterThan(0); // it did look for the package, and went on without
  }, 30_000);
});
