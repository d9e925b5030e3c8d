import {
  HEALTH_PROBE_SERVER_DEFAULTS,
  resolveProbeServerOptions,
  servedOnProbePortOnly,
  validateProbeServerOptions,
} from './probe-server.options';

describe('the server option', () => {
  it('is off when not given', () => {
    expect(validateProbeServerOptions(undefined)).toEqual({ problems: [], value: undefined });
    expect(resolveProbeServerOptions(undefined)).toBeUndefined();
  });

  it('applies every default around the port', () => {
    expect(resolveProbeServerOptions({ port: 9000 })).toEqual({
      port: 9000,
      host: undefined,
      routes: ['probes', 'details', 'metrics', 'stream', 'dashboard'],
      only: false,
      headersTimeoutMs: HEALTH_PROBE_SERVER_DEFAULTS.headersTimeoutMs,
      requestTimeoutMs: HEALTH_PROBE_SERVER_DEFAULTS.requestTimeoutMs,
      keepAliveTimeoutMs: HEALTH_PROBE_SERVER_DEFAULTS.keepAliveTimeoutMs,
      maxRequestsPerSocket: HEALTH_PROBE_SERVER_DEFAULTS.maxRequestsPerSocket,
      maxHeaderSizeBytes: HEALTH_PROBE_SERVER_DEFAULTS.maxHeaderSizeBytes,
    });
  });

  it('takes numbers and booleans from configuration strings', () => {
    const { problems, value } = validateProbeServerOptions({
      port: '9000',
      only: 'true',
      headersTimeoutMs: '2000',
    });
    expect(problems).toEqual([]);
    expect(value).toEqual({ port: 9000, only: true, headersTimeoutMs: 2000 });
  });

  it.each([
    [{}, 'server.port'],
    [{ port: -1 }, 'server.port'],
    [{ port: 9000, host: 'a b' }, 'server.host'],
    [{ port: 9000, routes: ['probes', 'probes'] }, 'server.routes'],
    [{ port: 9000, routes: 'probes' }, 'server.routes'],
    [{ port: 9000, only: 'yes' }, 'server.only'],
    [{ port: 9000, keepAliveTimeoutMs: 1.5 }, 'server.keepAliveTimeoutMs'],
    [{ port: 9000, maxRequestsPerSocket: -1 }, 'server.maxRequestsPerSocket'],
    [{ port: 9000, portt: 1 }, 'server.portt'],
    [{ port: 9000, requestTimeoutMs: 1_000 }, 'server.requestTimeoutMs'],
    [[9000], 'server'],
  ])('names the option of %j: %s', (given, option) => {
    const { problems } = validateProbeServerOptions(given);
    expect(problems.map((problem) => problem.option)).toEqual([option]);
  });

  it('moves a kind of route off the app port only with only and that kind among the routes', () => {
    const server = resolveProbeServerOptions({ port: 0, only: true, routes: ['probes'] });
    expect(servedOnProbePortOnly(server, 'probes')).toBe(true);
    expect(servedOnProbePortOnly(server, 'details')).toBe(false);
    expect(servedOnProbePortOnly(resolveProbeServerOptions({ port: 0 }), 'probes')).toBe(false);
    expect(servedOnProbePortOnly(undefined, 'probes')).toBe(false);
  });
});
