import { connect, Socket } from 'node:net';
import { Client } from 'pg';
import { up, type HealthCheckFunction } from 'nest-health';

/**
 * A check that opens a TCP connection to `127.0.0.1:port` and closes it: up when the port
 * accepts connections. The socket is destroyed when the check's signal aborts.
 */
export function tcpConnectCheck(port: number): HealthCheckFunction {
  return ({ signal }) =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      const abort = () => socket.destroy();
      signal.addEventListener('abort', abort, { once: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.destroy();
        resolve(up({ port }));
      });
      socket.once('close', () => {
        signal.removeEventListener('abort', abort);
        reject(new Error('connection closed')); // settles a check aborted before 'connect'
      });
    });
}

/**
 * A check that connects a `pg` client to `127.0.0.1:port` and runs `SELECT 1`. A server that
 * accepts the connection and never answers leaves the client waiting for the startup response
 * forever: when the check's signal aborts, the check destroys the client's socket, which makes
 * `connect()` reject at once. (`client.end()` would not do: it closes gracefully, waiting for a
 * server that does not answer.)
 */
export function postgresCheck(port: number): HealthCheckFunction {
  return async ({ signal }) => {
    const socket = new Socket();
    const client = new Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database: 'test',
      stream: () => socket,
    });
    client.on('error', () => undefined);
    const destroy = () => socket.destroy();
    signal.addEventListener('abort', destroy, { once: true });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return up();
    } finally {
      signal.removeEventListener('abort', destroy);
      socket.destroy();
    }
  };
}
