// Type-level test of the `authorize` option, as a user's app under `strict` writes it. Compiled
// (never run) by libs/health/src/details/health-request.spec.ts, which fails on any error here.
import type { Request } from 'express';
import type { FastifyRequest } from 'fastify';
import {
  HealthModule,
  type HealthAuthorize,
  type HealthAuthorizeFunction,
  type HealthRequest,
} from 'nest-health';

// The parameter left to inference is a HealthRequest: headers are Node's IncomingHttpHeaders.
HealthModule.forRoot({
  details: 'authorized',
  authorize: (req) => req.headers['x-health-token'] === process.env.HEALTH_TOKEN,
});

// Express's Request, with its own methods.
HealthModule.forRoot({
  details: 'authorized',
  authorize: (req: Request) => req.get('x-health-token') === process.env.HEALTH_TOKEN,
});

// Fastify's FastifyRequest.
HealthModule.forRoot({
  authorize: (req: FastifyRequest) => req.headers['x-health-token'] === process.env.HEALTH_TOKEN,
});

// Asynchronous, and through forRootAsync's factory.
HealthModule.forRootAsync({
  useFactory: () => ({
    authorize: async (req: Request) => Promise.resolve(req.ip === '10.0.0.1'),
  }),
});
HealthModule.forRootAsync({
  useFactory: () => ({ authorize: (req) => req.method === 'GET' && req.url !== undefined }),
});

// As a value of its own.
const byToken: HealthAuthorizeFunction = (req) => req.headers.authorization === 'Bearer t';
const asOption: HealthAuthorize = byToken;
HealthModule.forRoot({ authorize: asOption });

// Both platforms' requests are HealthRequests.
export function asHealthRequests(express: Request, fastify: FastifyRequest): HealthRequest[] {
  return [express, fastify];
}

// What is not a request is refused.
HealthModule.forRoot({
  // @ts-expect-error a number is not a request
  authorize: (req: number) => req > 0,
});
HealthModule.forRoot({
  // @ts-expect-error HealthRequest has no such property: the request is typed, not any
  authorize: (req) => req.nope === true,
});
HealthModule.forRoot({
  // @ts-expect-error the answer is a boolean
  authorize: () => 'yes',
});
