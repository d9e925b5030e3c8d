import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { HealthIndicator, HealthModule, up, type HealthIndicatorCheck } from 'nest-health';

/** A readiness member that is always up, so that `/health/ready` answers 200 once it ran. */
@HealthIndicator({ name: 'always' })
export class AlwaysUpHealth implements HealthIndicatorCheck {
  check() {
    return up();
  }
}

/** A route of the app's own, which the global prefix must still move. */
@Controller('jobs')
export class JobsController {
  @Get()
  list() {
    return [];
  }
}

@Module({
  imports: [HealthModule.forRoot()],
  controllers: [JobsController],
  providers: [AlwaysUpHealth],
})
export class PrefixedAppModule {}

/** The HTTP platforms the app runs on. */
export const PLATFORMS = ['express', 'fastify'] as const;

/** How the app sets its global prefix: `app.setGlobalPrefix(...prefix)`. */
export type GlobalPrefix = Parameters<INestApplication['setGlobalPrefix']>;

/**
 * A user's app with a global prefix, listening on a free loopback port.
 *
 * @returns the app and its base URL.
 */
export async function startPrefixedApp(
  platform: (typeof PLATFORMS)[number],
  prefix: GlobalPrefix,
): Promise<{ app: INestApplication; url: string }> {
  // abortOnError: false, so that a failed boot is a failed test rather than process.abort().
  const options = { logger: ['error', 'warn'] as ('error' | 'warn')[], abortOnError: false };
  const app =
    platform === 'fastify'
      ? await NestFactory.create(PrefixedAppModule, new FastifyAdapter(), options)
      : await NestFactory.create(PrefixedAppModule, options);
  app.setGlobalPrefix(...prefix);
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}
