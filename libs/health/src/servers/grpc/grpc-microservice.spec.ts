import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Controller, type INestMicroservice } from '@nestjs/common';
import { GrpcMethod, RpcException, Transport } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { protoPath } from 'grpc-health-check';
import { map, type Observable } from 'rxjs';
import { up } from '../../check';
import { HealthRegistry } from '../../discovery/health.registry';
import { HealthModule } from '../../health.module';
import { HealthServingStatus } from './serving-status';
import { healthClient, type HealthClient } from '../../../spec-helpers/grpc-health-client';

/**
 * The docs' "in your own Nest gRPC microservice" controller, as published: the health service
 * added to the app's own gRPC server through `@GrpcMethod`, answered by HealthServingStatus.
 */
@Controller()
class GrpcHealthController {
  constructor(private readonly serving: HealthServingStatus) {}

  @GrpcMethod('Health', 'Check')
  check({ service }: { service: string }): { status: string } {
    const status = this.serving.current(service);
    if (status === undefined) {
      throw new RpcException({ code: grpc.status.NOT_FOUND, message: 'unknown service' });
    }
    return { status };
  }

  @GrpcMethod('Health', 'Watch')
  watch({ service }: { service: string }): Observable<{ status: string }> {
    return this.serving.watch(service).pipe(map((status) => ({ status })));
  }
}

describe("the health service in an app's own Nest gRPC microservice (HealthServingStatus)", () => {
  let app: INestMicroservice | undefined;
  let client: HealthClient | undefined;

  afterEach(async () => {
    client?.close();
    await app?.close();
    app = undefined;
  });

  it('answers Check and Watch through @GrpcMethod handlers, NOT_FOUND for an unknown name', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ logger: false })],
      controllers: [GrpcHealthController],
    }).compile();
    const port = await freePort();
    app = moduleRef.createNestMicroservice({
      transport: Transport.GRPC,
      options: { package: 'grpc.health.v1', protoPath, url: `127.0.0.1:${port}` },
      logger: false,
    });
    let healthy = true;
    app
      .get(HealthRegistry)
      .register(() => (healthy ? up() : Promise.reject(new Error('orders db refused'))), {
        name: 'orders-db',
        intervalMs: 100,
      });
    await app.listen();
    client = healthClient(port);
    const health = client;
    const check = (service: string) =>
      new Promise<string>((resolve, reject) =>
        health.check({ service }, (error, response) =>
          error ? reject(error) : resolve(response?.status ?? ''),
        ),
      );
    const until = async (predicate: () => Promise<boolean> | boolean) => {
      const deadline = Date.now() + 15_000;
      while (!(await predicate())) {
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    await until(async () => (await check('')) === 'SERVING');
    await expect(check('nope')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });

    const seen: string[] = [];
    const call = health.watch({ service: 'readiness' });
    call.on('data', (message: { status: string }) => seen.push(message.status));
    call.on('error', () => undefined);
    await until(() => seen.length === 1);
    healthy = false;
    await until(() => seen.length === 2);
    healthy = true;
    await until(() => seen.length === 3);
    expect(seen).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    call.cancel();
  });
});

/** A port that was free a moment ago (Nest's gRPC transport takes a URL, not port 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
