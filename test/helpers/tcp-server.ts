import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A local TCP server that a spec controls. It accepts connections and never sends a byte: an
 * open port for a connect check, a dependency that hangs for a protocol client (a `pg` client
 * waits forever for the startup response). It can stop and listen again on the same port, and it
 * counts the connections it holds.
 */
export class TestTcpServer {
  private readonly sockets = new Set<Socket>();
  private server?: Server;
  private accepted = 0;
  private peak = 0;

  private constructor(private listeningPort: number) {}

  /** Starts a server on a free port of 127.0.0.1. */
  static async start(): Promise<TestTcpServer> {
    const server = new TestTcpServer(0);
    await server.listen();
    return server;
  }

  /** The port, the same across restarts. */
  get port(): number {
    return this.listeningPort;
  }

  /** Connections open now. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Connections accepted since start. */
  get acceptedConnections(): number {
    return this.accepted;
  }

  /** The most connections open at once since start. */
  get peakConnections(): number {
    return this.peak;
  }

  /** Listens again on the same port after {@link stop}. */
  async listen(): Promise<void> {
    const server = createServer((socket) => {
      this.accepted += 1;
      this.sockets.add(socket);
      this.peak = Math.max(this.peak, this.sockets.size);
      socket.on('error', () => undefined);
      socket.resume(); // reads and drops what the client sends, and so sees it close
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listeningPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.listeningPort = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops every connection: the port refuses connections. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A port of 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = await TestTcpServer.start();
  const { port } = server;
  await server.stop();
  return port;
}
