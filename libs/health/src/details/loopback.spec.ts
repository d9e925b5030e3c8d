import { isLoopbackAddress, remoteAddressOf } from './loopback';

describe('isLoopbackAddress', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '127.255.255.254',
    '::1',
    '::ffff:127.0.0.1',
    '::FFFF:127.0.0.9',
  ])('counts %s as loopback', (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  });

  it.each([
    undefined,
    '',
    '10.0.0.1',
    '128.0.0.1',
    '1.127.0.0',
    '::ffff:10.0.0.1',
    '::2',
    'fe80::1',
    '127.0.0.1.example.com',
    'localhost',
  ])('does not count %j as loopback', (address) => {
    expect(isLoopbackAddress(address)).toBe(false);
  });
});

describe('remoteAddressOf', () => {
  it("reads Express's req.socket and Fastify's request.raw.socket", () => {
    expect(remoteAddressOf({ socket: { remoteAddress: '10.1.1.1' } })).toBe('10.1.1.1');
    expect(remoteAddressOf({ raw: { socket: { remoteAddress: '::1' } } })).toBe('::1');
  });

  it('never reads X-Forwarded-For or a request-level ip', () => {
    const request = {
      headers: { 'x-forwarded-for': '127.0.0.1' },
      ip: '127.0.0.1',
      socket: { remoteAddress: '203.0.113.7' },
    };
    expect(remoteAddressOf(request)).toBe('203.0.113.7');
  });

  it('gives undefined for anything without a socket', () => {
    expect(remoteAddressOf(undefined)).toBeUndefined();
    expect(remoteAddressOf('request')).toBeUndefined();
    expect(remoteAddressOf({ socket: null })).toBeUndefined();
  });
});
