import { loadWorkerConfig } from './worker-config';

describe('loadWorkerConfig', () => {
  it.each([
    {
      case: 'has a default for every variable: local Redis, prefix "bull", ports 50051 and 9000',
      env: {},
      fields: {
        redisUrl: 'redis://127.0.0.1:6379',
        queuePrefix: 'bull',
        grpcPort: 50051,
        healthPort: 9000,
        shutdownDelayMs: 0,
      },
      health: {
        server: { port: 9000 },
        grpc: { port: 50051 },
        shutdownDelayMs: 0,
        defaults: { intervalMs: 5_000, timeoutMs: 1_000 },
      },
    },
    {
      case: 'reads every variable, trimmed, into its field and the health module options',
      env: {
        REDIS_URL: ' rediss://worker:secret@cache:6380/1 ',
        QUEUE_PREFIX: 'jobs.v2',
        HEALTH_GRPC_PORT: '0',
        HEALTH_PORT: '9100',
        SHUTDOWN_DELAY_MS: '500',
      },
      fields: {
        redisUrl: 'rediss://worker:secret@cache:6380/1',
        queuePrefix: 'jobs.v2',
        grpcPort: 0,
        healthPort: 9100,
        shutdownDelayMs: 500,
      },
      health: { server: { port: 9100 }, grpc: { port: 0 }, shutdownDelayMs: 500 },
    },
  ])('$case', ({ env, fields, health }) => {
    const config = loadWorkerConfig(env);

    expect(config).toMatchObject(fields);
    expect(config.health).toMatchObject(health);
  });

  it('takes an empty variable as unset', () => {
    expect(loadWorkerConfig({ HEALTH_PORT: '', QUEUE_PREFIX: '  ' })).toMatchObject({
      healthPort: 9000,
      queuePrefix: 'bull',
    });
  });

  it('lists every invalid variable in one error, with the value unless it is the Redis URL', () => {
    const load = () =>
      loadWorkerConfig({
        REDIS_URL: 'http://worker:secret@cache',
        QUEUE_PREFIX: 'a b',
        HEALTH_GRPC_PORT: '65536',
        HEALTH_PORT: '-1',
        SHUTDOWN_DELAY_MS: '1s',
      });

    expect(load).toThrow(
      'Invalid configuration: REDIS_URL must be a redis:// or rediss:// URL; ' +
        'QUEUE_PREFIX must be 1 to 64 letters, digits, "_", "." or "-" (got "a b"); ' +
        'HEALTH_GRPC_PORT must be an integer from 0 to 65535 (got "65536"); ' +
        'HEALTH_PORT must be an integer from 0 to 65535 (got "-1"); ' +
        'SHUTDOWN_DELAY_MS must be an integer from 0 to 300000 (milliseconds) (got "1s").',
    );
    expect(load).not.toThrow(/secret/);
  });
});
