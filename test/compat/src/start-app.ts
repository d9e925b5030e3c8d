import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';

/** The HTTP platforms the check runs on. */
export const PLATFORMS = ['express', 'fastify'] as const;

/** Creates the app on `platform` and listens on a free loopback port. */
export async function startApp(
  platform: (typeof PLATFORMS)[number],
): Promise<{ app: INestApplication; url: string }> {
  // abortOnError: false, so that a failed boot is a failed test rather than process.abort().
  const options = { logger: ['error', 'warn'] as ('error' | 'warn')[], abortOnError: false };
  const app =
    platform === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), options)
      : await NestFactory.create(AppModule, options);
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}
