import { deriveIndicatorName, HealthIndicator } from './health-indicator.decorator';

describe('deriveIndicatorName', () => {
  it.each([
    ['RedisHealth', 'redis'],
    ['MessageQueueHealthIndicator', 'message-queue'],
    ['S3Health', 's3'],
    ['HTTPClientHealth', 'http-client'],
    ['Health', 'health'],
    ['DatabaseHealthCheck', 'database'],
    ['DiskIndicator', 'disk'],
    ['PingCheck', 'ping'],
    ['Postgres', 'postgres'],
    ['IOHealth', 'io'],
    ['_PrivateHealth', 'private'],
  ])('derives %s → %s', (className, expected) => {
    expect(deriveIndicatorName(className)).toBe(expected);
  });

  it('drops only one suffix', () => {
    expect(deriveIndicatorName('CheckHealth')).toBe('check');
    expect(deriveIndicatorName('HealthCheckHealth')).toBe('health-check');
  });

  it('falls back to "indicator" when nothing is left', () => {
    expect(deriveIndicatorName('')).toBe('indicator');
    expect(deriveIndicatorName('$$$')).toBe('indicator');
  });

  it('derives names that are valid indicator names', () => {
    const name = deriveIndicatorName(`${'VeryLong'.repeat(20)}Health`);
    expect(name).toMatch(/^[a-z0-9][a-z0-9._-]{0,62}$/);
  });
});

describe('@HealthIndicator', () => {
  it('stores its options as metadata under its own key', () => {
    @HealthIndicator({ name: 'db', timeoutMs: 500 })
    class DatabaseHealth {}
    @HealthIndicator()
    class CacheHealth {}

    expect(typeof HealthIndicator.KEY).toBe('string');
    expect(Reflect.getMetadata(HealthIndicator.KEY, DatabaseHealth)).toEqual({
      name: 'db',
      timeoutMs: 500,
    });
    expect(Reflect.getMetadata(HealthIndicator.KEY, CacheHealth)).toEqual({});
  });
});
