import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { HealthModuleError } from '../../errors';
import { HEALTH_RESOLVED_OPTIONS } from '../../health.constants';
import type { ResolvedHealthModuleOptions } from '../../health-module-options';
import { loadOptionalPeer } from '../../indicators/core/optional-peer';
import { healthLoggerFor } from '../../logging/health-logger';
import { HealthShutdown } from '../../shutdown/health-shutdown';
import type { ResolvedGrpcOptions } from './grpc-health.options';
import { HealthServingStatus, type ServingStatus } from './serving-status';

/** gRPC status codes used here (`grpc/doc/statuscodes.md`). */
const GRPC_NOT_FOUND = 5;
const GRPC_RESOURCE_EXHAUSTED = 8;

/** `List` refuses past this many services, as gRFC L106 recommends (and grpc-go does). */
const LIST_LIMIT = 100;

/** After the drain, open calls get this long to end before the server is torn down. */
const CLOSE_GRACE_MS = 1_000;

/** The parts of `@grpc/grpc-js` this server uses (the library's types never import the peer). */
interface GrpcJs {
  Server: new (options?: Record<string, unknown>) => GrpcServer;
  ServerCredentials: { createInsecure(): object };
}
interface GrpcServer {
  addService(service: unknown, implementation: Record<string, unknown>): void;
  bindAsync(
    address: string,
    credentials: object,
    done: (error: Error | null, port: number) => void,
  ): void;
  tryShutdown(done: (error?: Error) => void): void;
  forceShutdown(): void;
}
interface GrpcHealthCheck {
  service: unknown;
}
interface UnaryCall {
  request: { service?: string };
}
type UnaryCallback = (
  error: { code: number; details: string } | null,
  response?: Record<string, unknown>,
) => void;
interface WatchCall {
  request: { service?: string };
  write(message: { status: ServingStatus }): boolean;
  end(): void;
  once(event: 'drain', listener: () => void): unknown;
  on(event: 'cancelled' | 'close' | 'error', listener: () => void): unknown;
}

/**
 * The module's own gRPC server (the `grpc` option): `grpc.health.v1.Health` with `Check`, `Watch`
 * and `List`, answered by {@link HealthServingStatus}. The service definition is the one
 * `grpc-health-check` (the gRPC project's own package, gRFC L106) loads from the official
 * `health.proto`; the handlers are the module's, so that `Watch` follows the engine's changes
 * with latest-value-wins for a slow reader.
 *
 * Starts listening at application bootstrap (a port in use fails the boot); at shutdown every
 * service turns `NOT_SERVING` at once, open `Watch` streams get it, and when the drain delay is
 * over they end and the server closes (forced after 1 s).
 */
@Injectable()
export class HealthGrpcServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: GrpcServer;
  private boundPort?: number;
  private readonly watches = new Set<WatchCall>();
  private closingSubscription?: Subscription;
  private closed = false;

  /** Created by Nest's injector; inject the instance rather than constructing one. @internal */
  constructor(
    private readonly statuses: HealthServingStatus,
    private readonly shutdown: HealthShutdown,
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
  ) {}

  /** The port the server listens on (useful with `port: 0`), or `undefined` when not listening. */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** How many `Watch` streams are open now. */
  get openWatchStreams(): number {
    return this.watches.size;
  }

  /**
   * Starts the server when the `grpc` option is set.
   * @throws MissingOptionalDependencyError when `@grpc/grpc-js` or `grpc-health-check` is missing.
   * @throws HealthModuleError when the port cannot be bound (in use, no permission).
   */
  async onApplicationBootstrap(): Promise<void> {
    const options = this.options.grpc;
    if (options === undefined) return;
    const grpc = loadOptionalPeer<GrpcJs>('@grpc/grpc-js', 'The "grpc" option');
    const health = loadOptionalPeer<GrpcHealthCheck>('grpc-health-check', 'The "grpc" option');
    const server = new grpc.Server();
    server.addService(health.service, {
      check: (call: UnaryCall, callback: UnaryCallback) => this.check(call, callback),
      watch: (call: WatchCall) => this.watch(call, options),
      list: (_call: unknown, callback: UnaryCallback) => this.list(callback),
    });
    this.boundPort = await bind(server, options, grpc.ServerCredentials.createInsecure());
    this.server = server;
    this.closingSubscription = this.shutdown.closing.subscribe(() => this.close());
    healthLoggerFor(this.options).log(
      `gRPC health service listening on ${hostForAddress(options.host)}:${this.boundPort}`,
    );
  }

  /** Closes at once if the drain was skipped (the module was destroyed some other way). */
  onApplicationShutdown(): void {
    this.statuses.beginShutdown();
    this.close();
  }

  private check(call: UnaryCall, callback: UnaryCallback): void {
    const service = call.request.service ?? '';
    const status = this.statuses.current(service);
    if (status === undefined) {
      callback({ code: GRPC_NOT_FOUND, details: `unknown service "${service.slice(0, 100)}"` });
      return;
    }
    callback(null, { status });
  }

  private list(callback: UnaryCallback): void {
    const all = this.statuses.all();
    if (all.size > LIST_LIMIT) {
      callback({ code: GRPC_RESOURCE_EXHAUSTED, details: `more than ${LIST_LIMIT} services` });
      return;
    }
    const statuses: Record<string, { status: ServingStatus }> = {};
    for (const [name, status] of all) statuses[name] = { status };
    callback(null, { statuses });
  }

  private watch(call: WatchCall, options: ResolvedGrpcOptions): void {
    if (this.closed || this.watches.size >= options.maxWatchStreams) {
      // A server stream reports its error by emitting it (grpc-js sends it as the call's status).
      (call as unknown as { emit(event: 'error', error: object): void }).emit('error', {
        code: GRPC_RESOURCE_EXHAUSTED,
        details: this.closed ? 'shutting down' : `more than ${options.maxWatchStreams} watchers`,
      });
      return;
    }
    this.watches.add(call);
    // Latest value wins: while the client reads slowly, only the newest status waits to be sent.
    let blocked = false;
    let waiting: ServingStatus | undefined;
    const send = (status: ServingStatus): void => {
      if (blocked) {
        waiting = status;
        return;
      }
      if (!call.write({ status })) {
        blocked = true;
        call.once('drain', () => {
          blocked = false;
          const next = waiting;
          waiting = undefined;
          if (next !== undefined) send(next);
        });
      }
    };
    const subscription = this.statuses.watch(call.request.service ?? '').subscribe({
      next: send,
      complete: () => this.endWatch(call),
    });
    const forget = (): void => {
      subscription.unsubscribe();
      this.watches.delete(call);
    };
    call.on('cancelled', forget);
    call.on('close', forget);
    call.on('error', forget);
  }

  private endWatch(call: WatchCall): void {
    if (!this.watches.delete(call)) return;
    try {
      call.end();
    } catch {
      // Already ended by the client: nothing to do.
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closingSubscription?.unsubscribe();
    for (const call of [...this.watches]) this.endWatch(call);
    const server = this.server;
    if (server === undefined) return;
    const force = setTimeout(() => server.forceShutdown(), CLOSE_GRACE_MS);
    force.unref();
    server.tryShutdown(() => clearTimeout(force));
  }
}

function bind(server: GrpcServer, options: ResolvedGrpcOptions, insecure: object): Promise<number> {
  const address = `${hostForAddress(options.host)}:${options.port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, options.credentials ?? insecure, (error, port) => {
      if (error) {
        server.forceShutdown();
        reject(new HealthModuleError(`grpc: cannot listen on ${address}: ${error.message}`));
        return;
      }
      resolve(port);
    });
  });
}

/** An IPv6 address goes in brackets in a gRPC target. */
function hostForAddress(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
