import { createServer, type AddressInfo, type Server } from 'node:net';
import {
  BlackHoleServer,
  checkOnce,
  closedPort,
  runInEngine,
  UnacceptingPort,
  waitFor,
} from '../../../spec-helpers/faults';
import { tcpIndicator } from './tcp.health';

function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((type) => type === 'TCPSocketWrap').length;
}

describe('tcpIndicator', () => {
  let server: BlackHoleServer;

  beforeAll(async () => {
    server = await BlackHoleServer.start();
  });

  afterAll(async () => {
    await server.close();
  });

  it('is up when the port accepts, and closes its connection at once', async () => {
    const result = await checkOnce(tcpIndicator('127.0.0.1', server.port));
    expect(result).toEqual({
      status: 'up',
      data: { responseTimeMs: expect.any(Number), remoteAddress: '127.0.0.1' },
    });
    expect(server.accepted).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.open).toBe(0);
  });

  it('connects to PostgreSQL, Redis and RabbitMQ on this machine', async () => {
    for (const port of [5432, 6379, 5672]) {
      expect((await checkOnce(tcpIndicator('127.0.0.1', port))).status).toBe('up');
    }
  });

  it('fails with ECONNREFUSED on a closed port', async () => {
    const port = await closedPort();
    await expect(checkOnce(tcpIndicator('127.0.0.1', port))).rejects.toThrow(/ECONNREFUSED/);
  });

  it('destroys its socket when the engine times out a connect that never completes', async () => {
    const unaccepting = await UnacceptingPort.start();
    try {
      const before = tcpHandles();
      const result = await runInEngine(tcpIndicator('127.0.0.1', unaccepting.port), 200);
      expect(result).toMatchObject({ status: 'down', message: 'timed out after 200 ms' });
      await result.settled;
      expect(tcpHandles()).toBeLessThanOrEqual(before + 1); // the check's own socket, closing
      await waitFor(() => tcpHandles() === before);
    } finally {
      await unaccepting.close();
    }
  });

  it('is degraded when connecting takes longer than degradedAbove', async () => {
    const result = await checkOnce(
      tcpIndicator('127.0.0.1', server.port, { responseTimeMs: { degradedAbove: 0 } }),
    );
    expect(result.status).toBe('degraded');
  });

  it('rejects a bad host or port', () => {
    expect(() => tcpIndicator('', 80)).toThrow(/"host"/);
    expect(() => tcpIndicator('localhost', 70_000)).toThrow(
      /"port" is 70000: must be an integer from 1 to 65535/,
    );
  });

  it('frees the port for a listener after checking it (no lingering sockets)', async () => {
    const plain: Server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const { port } = plain.address() as AddressInfo;
    await checkOnce(tcpIndicator('127.0.0.1', port));
    await new Promise<void>((resolve) => plain.close(() => resolve()));
  });
});
