import { hostname } from 'node:os';
import { loadExampleConfig } from './example-config';

describe('RABBITMQ_URL', () => {
  it('is unset by default: no RabbitMQ check', () => {
    expect(loadExampleConfig({}).rabbitmqUrl).toBeUndefined();
  });

  it('takes an amqp:// or amqps:// URL', () => {
    const url = 'amqps://app:secret@broker:5671/vhost';

    expect(loadExampleConfig({ RABBITMQ_URL: url }).rabbitmqUrl).toBe(url);
  });

  it('rejects anything else, naming the variable without echoing the value (it may hold a password)', () => {
    const load = () => loadExampleConfig({ RABBITMQ_URL: 'http://app:secret@broker' });

    expect(load).toThrow('RABBITMQ_URL must be an amqp:// or amqps:// URL');
    expect(load).not.toThrow(/secret/);
  });
});

describe('HEALTH_FLEET', () => {
  const ON = { HEALTH_FLEET: 'true' } as const;

  it('is off by default: no fleet option for the health module', () => {
    const config = loadExampleConfig({ REDIS_URL: 'redis://cache:6379' });

    expect(config.fleet).toBeUndefined();
    expect(config.health).not.toHaveProperty('fleet');
  });

  it('is off with "false", whatever the other fleet variables say', () => {
    const config = loadExampleConfig({ HEALTH_FLEET: 'false', INSTANCE_ID: 'web-1' });

    expect(config.fleet).toBeUndefined();
    expect(config.health).not.toHaveProperty('fleet');
  });

  it('turns the fleet on with REDIS_URL, the example service and the hostname', () => {
    const config = loadExampleConfig({ ...ON, REDIS_URL: 'redis://cache:6379/2' });

    const expected = {
      redis: 'redis://cache:6379/2',
      service: 'nest-health-example',
      instance: hostname(),
    };
    expect(config.fleet).toEqual(expected);
    expect(config.health.fleet).toEqual(expected);
  });

  it('takes "TRUE" as true, as a shell user may write it', () => {
    expect(loadExampleConfig({ HEALTH_FLEET: 'TRUE' }).fleet).toBeDefined();
  });

  it('maps INSTANCE_ID, the service, its own Redis and the durations onto the module option', () => {
    const config = loadExampleConfig({
      ...ON,
      REDIS_URL: 'redis://cache:6379',
      HEALTH_FLEET_REDIS_URL: 'rediss://fleet:6380',
      HEALTH_FLEET_SERVICE: 'orders-api',
      INSTANCE_ID: 'orders-api-7c9f-x2k4q',
      HEALTH_FLEET_PUBLISH_INTERVAL_MS: '200',
      HEALTH_FLEET_TTL_MS: '600',
      HEALTH_FLEET_RETENTION_MS: '1500',
      HEALTH_FLEET_TIMEOUT_MS: '250',
    });

    expect(config.health.fleet).toEqual({
      redis: 'rediss://fleet:6380',
      service: 'orders-api',
      instance: 'orders-api-7c9f-x2k4q',
      publishIntervalMs: 200,
      ttlMs: 600,
      retentionMs: 1500,
      timeoutMs: 250,
    });
    // The app's own Redis stays the one of its checks and queue.
    expect(config.redisUrl).toBe('redis://cache:6379');
  });

  it('keeps the fleet and the shutdown delay when a spec overrides the health options', () => {
    const config = loadExampleConfig(
      { ...ON, INSTANCE_ID: 'a', SHUTDOWN_DELAY_MS: '1000' },
      { health: { metrics: false } },
    );

    expect(config.health).toEqual({
      shutdownDelayMs: 1000,
      fleet: { redis: 'redis://127.0.0.1:6379', service: 'nest-health-example', instance: 'a' },
      metrics: false,
    });
  });

  it('lets an override replace the fleet option, or turn it off', () => {
    const redis = 'redis://127.0.0.1:7000';

    expect(loadExampleConfig(ON, { fleet: { redis } }).health.fleet).toEqual({ redis });
    expect(loadExampleConfig(ON, { fleet: undefined }).health).not.toHaveProperty('fleet');
  });

  it.each([
    ['HEALTH_FLEET', 'yes', 'HEALTH_FLEET must be "true" or "false" (got "yes")'],
    [
      'INSTANCE_ID',
      'web 1',
      'INSTANCE_ID must be 1 to 253 letters, digits, ".", "_" or "-" (got "web 1")',
    ],
    ['HEALTH_FLEET_SERVICE', 'orders/api', 'HEALTH_FLEET_SERVICE must be 1 to 100 letters, digits'],
    [
      'HEALTH_FLEET_PUBLISH_INTERVAL_MS',
      '99',
      'HEALTH_FLEET_PUBLISH_INTERVAL_MS must be an integer from 100 to 300000 (milliseconds) (got "99")',
    ],
    [
      'HEALTH_FLEET_PUBLISH_INTERVAL_MS',
      '1.5e3',
      'HEALTH_FLEET_PUBLISH_INTERVAL_MS must be an integer from 100 to 300000',
    ],
    ['HEALTH_FLEET_TTL_MS', '100', 'HEALTH_FLEET_TTL_MS must be an integer from 101 to 3600000'],
    [
      'HEALTH_FLEET_RETENTION_MS',
      '604800001',
      'HEALTH_FLEET_RETENTION_MS must be an integer from 101 to 604800000',
    ],
    ['HEALTH_FLEET_TIMEOUT_MS', '9', 'HEALTH_FLEET_TIMEOUT_MS must be an integer from 10 to 60000'],
  ])('rejects %s=%j', (name, value, message) => {
    expect(() => loadExampleConfig({ ...ON, [name]: value })).toThrow(message);
  });

  it('rejects an INSTANCE_ID longer than a pod name may be (253)', () => {
    expect(() => loadExampleConfig({ ...ON, INSTANCE_ID: 'x'.repeat(254) })).toThrow(
      'INSTANCE_ID must be 1 to 253 letters',
    );
    expect(loadExampleConfig({ ...ON, INSTANCE_ID: 'x'.repeat(253) }).fleet?.instance).toHaveLength(
      253,
    );
  });

  it('rejects a fleet Redis that is not a Redis URL, without echoing it (it may hold a password)', () => {
    const load = () => loadExampleConfig({ ...ON, HEALTH_FLEET_REDIS_URL: 'http://:secret@fleet' });

    expect(load).toThrow('HEALTH_FLEET_REDIS_URL must be a redis:// or rediss:// URL');
    expect(load).not.toThrow(/secret/);
  });

  it('rejects durations out of order when both of a pair are set', () => {
    expect(() =>
      loadExampleConfig({
        ...ON,
        HEALTH_FLEET_PUBLISH_INTERVAL_MS: '500',
        HEALTH_FLEET_TTL_MS: '500',
      }),
    ).toThrow('HEALTH_FLEET_TTL_MS must be more than HEALTH_FLEET_PUBLISH_INTERVAL_MS');
    expect(() =>
      loadExampleConfig({ ...ON, HEALTH_FLEET_TTL_MS: '1000', HEALTH_FLEET_RETENTION_MS: '999' }),
    ).toThrow('HEALTH_FLEET_RETENTION_MS must be at least HEALTH_FLEET_TTL_MS');
  });

  it('checks the fleet variables while the fleet is off too, so a mistake shows before it is on', () => {
    expect(() => loadExampleConfig({ HEALTH_FLEET_TTL_MS: 'soon' })).toThrow(
      'HEALTH_FLEET_TTL_MS must be an integer',
    );
  });

  it('lists every problem at once', () => {
    expect(() =>
      loadExampleConfig({ ...ON, INSTANCE_ID: 'a b', HEALTH_FLEET_TIMEOUT_MS: '0' }),
    ).toThrow(/INSTANCE_ID must be .*; HEALTH_FLEET_TIMEOUT_MS must be/);
  });
});

describe('HEALTH_GRPC_PORT', () => {
  it('is off by default: no grpc option for the health module', () => {
    const config = loadExampleConfig({});

    expect(config.grpcPort).toBeUndefined();
    expect(config.health).not.toHaveProperty('grpc');
  });

  it('sets the module grpc option to serve the health protocol on that port', () => {
    const config = loadExampleConfig({ HEALTH_GRPC_PORT: '50051' });

    expect(config.grpcPort).toBe(50051);
    expect(config.health.grpc).toEqual({ port: 50051 });
  });

  it('names the variable when the port is not one', () => {
    expect(() => loadExampleConfig({ HEALTH_GRPC_PORT: 'grpc' })).toThrow(
      'HEALTH_GRPC_PORT must be an integer from 0 to 65535 (got "grpc")',
    );
  });
});

describe('NOTIFY_WEBHOOK_URL', () => {
  it('is unset by default: no notifications', () => {
    const config = loadExampleConfig({});

    expect(config.notifyWebhook).toBeUndefined();
    expect(config.health).not.toHaveProperty('notifications');
  });

  it('adds one webhook channel, signed with NOTIFY_WEBHOOK_SECRET when set', () => {
    const url = 'https://hooks.example.com/health/T0KEN';

    expect(loadExampleConfig({ NOTIFY_WEBHOOK_URL: url }).health.notifications).toEqual({
      channels: [{ type: 'webhook', url }],
    });
    expect(
      loadExampleConfig({ NOTIFY_WEBHOOK_URL: url, NOTIFY_WEBHOOK_SECRET: 'whsec' }).health
        .notifications,
    ).toEqual({ channels: [{ type: 'webhook', url, secret: 'whsec' }] });
  });

  it('rejects a URL that is not http(s), without echoing it (it holds a token)', () => {
    const load = () => loadExampleConfig({ NOTIFY_WEBHOOK_URL: 'ftp://hooks/T0KEN' });

    expect(load).toThrow('NOTIFY_WEBHOOK_URL must be an http:// or https:// URL');
    expect(load).not.toThrow(/T0KEN/);
  });
});

describe('NOTIFY_SLACK_URL', () => {
  it('adds a slack channel beside the webhook, never echoing the URL', () => {
    const slack = 'https://hooks.slack.com/services/T000/B000/XXXXSECRET';
    const config = loadExampleConfig({
      NOTIFY_SLACK_URL: slack,
      NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/health',
    });

    expect(config.health.notifications).toEqual({
      channels: [
        { type: 'webhook', url: 'https://hooks.example.com/health' },
        { type: 'slack', url: slack },
      ],
    });
    const bad = () => loadExampleConfig({ NOTIFY_SLACK_URL: 'http://hooks/XXXXSECRET' });
    expect(bad).toThrow('NOTIFY_SLACK_URL must be an https:// URL');
    expect(bad).not.toThrow(/XXXXSECRET/);
  });
});

describe('HEALTH_PORT', () => {
  it('is unset by default: no probe port', () => {
    expect(loadExampleConfig({}).health).not.toHaveProperty('server');
  });

  it('serves the probe port on the port given', () => {
    const config = loadExampleConfig({ HEALTH_PORT: '9000' });

    expect(config.healthPort).toBe(9000);
    expect(config.health.server).toEqual({ port: 9000 });
  });

  it('rejects anything but a port number, naming the variable', () => {
    expect(() => loadExampleConfig({ HEALTH_PORT: '9000x' })).toThrow(
      'HEALTH_PORT must be an integer from 0 to 65535 (got "9000x")',
    );
  });
});
