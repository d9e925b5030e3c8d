import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * The official `grpc/health/v1/health.proto` (vendored beside this file with its licence),
 * loaded as any gRPC client would: the specs' client shares nothing with the module's server.
 */
const PROTO = join(__dirname, 'grpc/health.proto');

const loaded = grpc.loadPackageDefinition(
  protoLoader.loadSync(PROTO, { keepCase: true, enums: String, defaults: true }),
) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };

/** A `grpc.health.v1.Health` client, typed for what the specs call. */
export interface HealthClient extends grpc.Client {
  check(
    request: { service: string },
    callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
  ): void;
  watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
  list(
    request: object,
    callback: (
      error: grpc.ServiceError | null,
      response?: { statuses: Record<string, { status: string }> },
    ) => void,
  ): void;
}

/** An insecure client of the health service at `127.0.0.1:<port>`. */
export function healthClient(port: number): HealthClient {
  return new loaded.grpc.health.v1.Health(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as unknown as HealthClient;
}

/** `Check` of `service`: the status it answers, or the gRPC error it fails with. */
export function checkHealth(client: HealthClient, service: string): Promise<string> {
  return new Promise((resolve, reject) =>
    client.check({ service }, (error, response) =>
      error ? reject(error) : resolve(response?.status ?? ''),
    ),
  );
}
