import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { acceptOf } from './health-answer';

/** Sends one request with `rawHeaders` and gives back what the server received. */
async function received(rawHeaders: string[]): Promise<IncomingMessage> {
  let seen: IncomingMessage | undefined;
  const server = createServer((request, response) => {
    seen = request;
    response.end();
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await new Promise<void>((resolve, reject) => {
      const headers = ['Host', `127.0.0.1:${port}`, ...rawHeaders]; // raw headers: no Host added
      const sent = httpRequest({ port, host: '127.0.0.1', headers }, (response) => {
        response.resume();
        response.once('end', () =>
          response.statusCode === 200 ? resolve() : reject(new Error(`${response.statusCode}`)),
        );
      });
      sent.once('error', reject);
      sent.end();
    });
  } finally {
    server.close();
  }
  return seen!;
}

describe('acceptOf', () => {
  it('reads the Accept header as Node does, whatever its case, and joins repeated ones', async () => {
    for (const headers of [
      [],
      ['Accept', 'application/health+json'],
      ['aCcEpT', '*/*', 'X-Other', 'accept'],
      ['Accept', 'text/plain', 'accept', 'application/health+json;q=0.5'],
    ]) {
      const request = await received(headers);
      expect(acceptOf(request)).toBe(request.headers.accept);
    }
  });

  it('gives undefined when there is no Accept header, and a joined value for two', () => {
    expect(acceptOf({ rawHeaders: ['Host', 'x', 'Acceptable', 'no'] })).toBeUndefined();
    expect(acceptOf({ rawHeaders: ['Accept', 'a', 'ACCEPT', 'b'] })).toBe('a, b');
  });
});
