import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { checkOnce, runInEngine } from '../../../spec-helpers/faults';
import { dnsIndicator } from './dns.health';

describe('dnsIndicator', () => {
  it('resolves localhost with the system resolver', async () => {
    const result = await checkOnce(dnsIndicator('localhost'));
    expect(result.status).toBe('up');
    const data = result.data as { addresses: string[]; responseTimeMs: number };
    expect(data.addresses.some((a) => a === '127.0.0.1' || a === '::1')).toBe(true);
    expect(data.responseTimeMs).toBeGreaterThanOrEqual(0);
  });

  it('is down when an expected address is missing', async () => {
    const result = await checkOnce(dnsIndicator('localhost', { expectedAddresses: ['10.9.8.7'] }));
    expect(result.status).toBe('down');
    expect(result.message).toMatch(
      /^localhost does not resolve to 10\.9\.8\.7 \(got .*127\.0\.0\.1/,
    );
    const ok = await checkOnce(dnsIndicator('localhost', { expectedAddresses: ['127.0.0.1'] }));
    expect(ok.status).toBe('up');
  });

  it('fails with ENOTFOUND for a name under .invalid', async () => {
    await expect(checkOnce(dnsIndicator('nest-health.invalid'))).rejects.toThrow(/ENOTFOUND/);
  });

  it('cancels its DNS queries when the engine times out a server that never answers', async () => {
    const silent = createSocket('udp4');
    silent.bind(0, '127.0.0.1');
    await once(silent, 'listening');
    let queries = 0;
    silent.on('message', () => (queries += 1));
    try {
      const { port } = silent.address();
      const indicator = dnsIndicator('example.test', {
        resolver: 'dns',
        servers: [`127.0.0.1:${port}`],
      });
      const result = await runInEngine(indicator, 200);
      expect(result).toMatchObject({ status: 'down', message: 'timed out after 200 ms' });
      await result.settled;
      expect(queries).toBeGreaterThan(0);
    } finally {
      silent.close();
    }
  });

  it('rejects servers without resolver "dns", and bad addresses', () => {
    expect(() => dnsIndicator('x', { servers: ['127.0.0.1'] })).toThrow(
      /"servers" .*only used with resolver: "dns"/,
    );
    expect(() => dnsIndicator('x', { resolver: 'dns', servers: ['not an ip'] })).toThrow(
      /"servers"/,
    );
    expect(() => dnsIndicator('x', { expectedAddresses: ['nope'] })).toThrow(/"expectedAddresses"/);
    expect(() => dnsIndicator('')).toThrow(/"hostname"/);
  });
});
