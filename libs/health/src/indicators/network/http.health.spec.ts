import {
  checkOnce,
  closedPort,
  runInEngine,
  TestHttpServer,
  waitFor,
} from '../../../spec-helpers/faults';
import { InvalidHealthIndicatorOptionsError } from '../../errors';
import { httpIndicator } from './http.health';

describe('httpIndicator', () => {
  let server: TestHttpServer;

  beforeAll(async () => {
    server = await TestHttpServer.start();
  });

  afterAll(async () => {
    await server.close();
  });

  it('is up for a 200, with the status code and response time as data', async () => {
    const result = await checkOnce(httpIndicator(server.url('/ok')));
    expect(result.status).toBe('up');
    expect(result.data).toEqual({ statusCode: 200, responseTimeMs: expect.any(Number) });
  });

  it('is down for a 500, naming the status and what was expected', async () => {
    const result = await checkOnce(httpIndicator(server.url('/fail')));
    expect(result).toMatchObject({
      status: 'down',
      message: 'status 500 is not one of the expected (2xx)',
      data: { statusCode: 500 },
    });
  });

  it('takes expected codes, classes and ranges', async () => {
    expect(
      (await checkOnce(httpIndicator(server.url('/fail'), { expectedStatus: [500] }))).status,
    ).toBe('up');
    expect(
      (await checkOnce(httpIndicator(server.url('/fail'), { expectedStatus: ['5xx'] }))).status,
    ).toBe('up');
    expect(
      (await checkOnce(httpIndicator(server.url('/missing'), { expectedStatus: ['200-399'] })))
        .status,
    ).toBe('down');
  });

  it('follows redirects and uses HEAD when asked', async () => {
    expect((await checkOnce(httpIndicator(server.url('/redirect')))).data).toMatchObject({
      statusCode: 200,
    });
    expect((await checkOnce(httpIndicator(server.url('/ok'), { method: 'HEAD' }))).status).toBe(
      'up',
    );
  });

  it('checks the body with bodyMatches', async () => {
    const matching = httpIndicator(server.url('/json'), {
      bodyMatches: (body) => (JSON.parse(body) as { status: string }).status === 'ok',
    });
    expect((await checkOnce(matching)).status).toBe('up');
    const notMatching = httpIndicator(server.url('/ok'), { bodyMatches: (body) => body === 'OK!' });
    expect(await checkOnce(notMatching)).toMatchObject({
      status: 'down',
      message: 'the response body did not match',
    });
  });

  it('is degraded when the response time passes degradedAbove', async () => {
    const result = await checkOnce(
      httpIndicator(server.url('/slow?ms=150'), { responseTimeMs: { degradedAbove: 50 } }),
    );
    expect(result.status).toBe('degraded');
    expect((result.data as { responseTimeMs: number }).responseTimeMs).toBeGreaterThanOrEqual(140);
    expect(result.message).toMatch(/^responseTimeMs \d+(\.\d+)? is above 50$/);
  });

  it('fails with the reason fetch keeps in its cause (a closed port)', async () => {
    const port = await closedPort();
    await expect(checkOnce(httpIndicator(`http://127.0.0.1:${port}/`))).rejects.toThrow(
      /^fetch failed: .*ECONNREFUSED/,
    );
  });

  it('drops the request and its socket when the engine times the check out', async () => {
    const indicator = httpIndicator(server.url('/hang'));
    const before = server.sockets.size;
    const result = await runInEngine(indicator, 200);
    expect(result).toMatchObject({
      status: 'down',
      message: 'timed out after 200 ms',
      timedOut: true,
    });
    await result.settled;
    await waitFor(() => server.sockets.size <= before);
  });

  it('rejects a URL that is not http(s), without echoing a password', () => {
    expect(() => httpIndicator('ftp://user:secret@example.com/')).toThrow(
      InvalidHealthIndicatorOptionsError,
    );
    expect(() => httpIndicator('ftp://user:secret@example.com/')).toThrow(
      /"url" is "ftp:\/\/user:\*\*\*@/,
    );
    expect(() => httpIndicator('not a url')).toThrow(/must be an http: or https: URL/);
    expect(() => httpIndicator('https://user:secret@example.com/')).toThrow(
      /"url" is "https:\/\/user:\*\*\*@example.com\/": must not carry credentials/,
    );
    expect(() => httpIndicator(server.url('/'), { expectedStatus: ['2xxx'] })).toThrow(
      /"expectedStatus"/,
    );
    expect(() => httpIndicator(server.url('/'), { method: 'POST' as 'GET' })).toThrow(/"method"/);
  });
});
