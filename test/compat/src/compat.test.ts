// The compatibility check: an ESM NestJS 12 app that installed the built nest-health package (see
// scripts/install-library.mjs) boots on Express and Fastify and serves probes, the stream and
// metrics. Plain Node (node:test): Jest cannot load NestJS 12 on Node 20.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import * as nestCore from '@nestjs/core';
import { EventStream } from './event-stream.js';
import { PLATFORMS, startApp } from './start-app.js';
import { SwitchableHealth } from './switchable.health.js';
import { waitFor } from './wait-for.js';

const appRequire = createRequire(import.meta.url);
const compatRoot = dirname(dirname(fileURLToPath(import.meta.url)));

describe('the installed nest-health package', () => {
  const entry = appRequire.resolve('nest-health');
  const libraryRequire = createRequire(entry);

  it("is a real copy in this package's node_modules, not a link to the build", () => {
    assert.equal(entry, join(compatRoot, 'node_modules', 'nest-health', 'index.js'));
    assert.equal(realpathSync(entry), entry);
  });

  for (const name of ['@nestjs/common', '@nestjs/core']) {
    it(`uses this app's ${name}, version 12`, () => {
      const fromLibrary = libraryRequire.resolve(`${name}/package.json`);
      assert.equal(fromLibrary, appRequire.resolve(`${name}/package.json`));
      const { version } = JSON.parse(readFileSync(fromLibrary, 'utf8')) as { version: string };
      assert.match(version, /^12\./);
    });
  }

  it("shares one @nestjs/core instance with the app (the library's require(esm) of it)", () => {
    const required = libraryRequire('@nestjs/core') as typeof nestCore;
    assert.equal(required.DiscoveryService, nestCore.DiscoveryService);
    assert.equal(required.HttpAdapterHost, nestCore.HttpAdapterHost);
  });
});

for (const platform of PLATFORMS) {
  describe(`nest-health in a NestJS 12 app on ${platform}`, () => {
    let app: INestApplication;
    let url: string;

    before(async () => {
      ({ app, url } = await startApp(platform));
      // Readiness is down until the first run of every member (fail closed).
      await waitFor(async () => assert.equal(await statusOf(`${url}/health/ready`), 200));
    });

    after(async () => {
      await app?.close();
    });

    it('answers GET /health/live with 200 and the status', async () => {
      const response = await fetch(`${url}/health/live`);
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { status: string }).status, 'up');
    });

    it('answers GET /health with the details of its indicator', async () => {
      const response = await fetch(`${url}/health`);
      assert.equal(response.status, 200);
      const body = await response.json();
      assert.equal(pick(body, 'checks', 'switch', 'status'), 'up');
      assert.deepEqual(pick(body, 'checks', 'switch', 'data'), { switchedOn: true });
    });

    it('follows its own indicator: ready 200, 503 when the indicator is down, 200 again', async () => {
      const indicator = app.get(SwitchableHealth);
      const stream = await EventStream.open(`${url}/health/stream`);
      try {
        assert.equal(stream.response.statusCode, 200);
        assert.match(stream.response.headers['content-type'] ?? '', /^text\/event-stream/);
        const snapshot = await stream.next();
        assert.equal(snapshot.type, 'snapshot');
        assert.deepEqual(pick(snapshot.data, 'checks', 'switch', 'status'), 'up');

        indicator.turn(false);
        const down = await nextChangeOf(stream, 'switch');
        assert.equal(down.current, 'down');
        const ready = await fetch(`${url}/health/ready`);
        assert.equal(ready.status, 503);
        assert.equal(((await ready.json()) as { status: string }).status, 'down');

        indicator.turn(true);
        assert.equal((await nextChangeOf(stream, 'switch')).current, 'up');
        assert.equal(await statusOf(`${url}/health/ready`), 200);
      } finally {
        indicator.turn(true);
        stream.close();
      }
    });

    it('serves Prometheus metrics at GET /health/metrics', async () => {
      const response = await fetch(`${url}/health/metrics`);
      const body = await response.text();
      assert.equal(response.status, 200, body);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      const switchUp = body
        .split('\n')
        .find(
          (line) =>
            line.startsWith('health_indicator_status{') &&
            line.includes('indicator="switch"') &&
            line.includes('state="up"'),
        );
      assert.match(switchUp ?? body, / 1$/);
    });
  });
}

/** The HTTP status of `GET url` (the body read and dropped). */
async function statusOf(url: string): Promise<number> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status;
}

/** The next `change` event of the indicator `name`, skipping group changes and others. */
async function nextChangeOf(
  stream: EventStream,
  name: string,
): Promise<{ current: string; previous: string }> {
  for (;;) {
    const event = await stream.next();
    const data = event.data as { kind?: string; name?: string; current: string; previous: string };
    if (event.type === 'change' && data.kind === 'indicator' && data.name === name) return data;
  }
}

/** `value[keys[0]][keys[1]]…`, or undefined where a level is missing. */
function pick(value: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>(
    (level, key) => (level as Record<string, unknown> | undefined)?.[key],
    value,
  );
}
