import { Test } from '@nestjs/testing';
import { InvalidHealthModuleOptionsError } from '../errors';
import { HealthModule } from '../health.module';
import { validateModuleOptions, resolveHealthModuleOptions } from '../health-module-options';
import { validateNotificationsOptions } from './notifications.options';

const options = (problems: Array<{ option: string }>) => problems.map((problem) => problem.option);

describe('the notifications option', () => {
  it('accepts a webhook channel and converts numbers and booleans from configuration', () => {
    const { problems, value } = validateNotificationsOptions({
      batchWindowMs: '500',
      channels: [
        {
          type: 'webhook',
          url: 'https://hooks.example.com/a',
          secret: 's',
          headers: { Authorization: 'Bearer x' },
          maxAttempts: '3',
          sendOnResolved: 'false',
          transitions: ['down'],
          filter: { group: 'readiness' },
        },
      ],
    });
    expect(problems).toEqual([]);
    expect(value).toMatchObject({
      batchWindowMs: 500,
      channels: [{ maxAttempts: 3, sendOnResolved: false }],
    });
  });

  it('names each invalid option with its channel index, and never echoes a URL or secret', () => {
    const { problems } = validateNotificationsOptions({
      batchWindowMs: -1,
      channels: [
        { type: 'webhook', url: 'https://hooks.example.com/ok' },
        { type: 'webhook', url: 'ftp://hooks.example.com/T0KEN', secret: '', extra: 1 },
        { type: 'sms', url: 'https://x' },
        { type: 'webhook', url: 'https://user:PASSW0RD@h.example.com/', transitions: [] },
        { type: 'webhook', name: 'webhook', url: 'https://h.example.com/' },
        {
          type: 'webhook',
          url: 'https://h.example.com/',
          reminderIntervalMs: 1_000,
          filter: { nope: 1 },
          headers: { 'Content-Type': 'text/plain' },
        },
      ],
    });
    expect(options(problems)).toEqual([
      'notifications.batchWindowMs',
      'notifications.channels[1].extra',
      'notifications.channels[1].url',
      'notifications.channels[1].secret',
      'notifications.channels[2].type',
      'notifications.channels[3].transitions',
      'notifications.channels[3].url',
      'notifications.channels[4].name',
      'notifications.channels[5].reminderIntervalMs',
      'notifications.channels[5].filter.nope',
      'notifications.channels[5].headers',
    ]);
    expect(problems.find((p) => p.option.endsWith('[2].type'))?.allowed).toContain('"webhook"');
    const text = JSON.stringify(problems);
    expect(text).not.toContain('T0KEN');
    expect(text).not.toContain('PASSW0RD');
  });

  it('requires a non-empty array of channels', () => {
    expect(options(validateNotificationsOptions({}).problems)).toEqual(['notifications.channels']);
    expect(options(validateNotificationsOptions({ channels: [] }).problems)).toEqual([
      'notifications.channels',
    ]);
    expect(options(validateNotificationsOptions('yes').problems)).toEqual(['notifications']);
  });

  it("takes the fleet's service and instance, unless it names its own", () => {
    const channels = [{ type: 'webhook', url: 'https://h.example.com/' }];
    const resolve = (raw: object) => {
      const { problems, options: valid } = validateModuleOptions(raw);
      expect(problems).toEqual([]);
      return resolveHealthModuleOptions(valid).notifications;
    };
    const fleet = { redis: 'redis://127.0.0.1:6379', service: 'orders', instance: 'pod-7' };
    expect(resolve({ fleet, notifications: { channels } })).toMatchObject({
      service: 'orders',
      instance: 'pod-7',
      batchWindowMs: 2_000,
      channels: [{ name: 'webhook', minimumIntervalMs: 60_000, reminderIntervalMs: 0 }],
    });
    expect(resolve({ fleet, notifications: { channels, service: 'billing' } })).toMatchObject({
      service: 'billing',
      instance: 'pod-7',
    });
    expect(resolve({ notifications: { channels } })?.service).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(resolve({})).toBeUndefined();
  });

  it('fails the boot through forRootAsync too, naming the option and the registered types', async () => {
    const compiling = Test.createTestingModule({
      imports: [
        HealthModule.forRootAsync({
          useFactory: () => ({
            logger: false,
            notifications: { channels: [{ type: 'sms', url: 'https://sms.example.com/' }] },
          }),
        }),
      ],
    }).compile();
    await expect(compiling).rejects.toThrow(InvalidHealthModuleOptionsError);
    await expect(compiling).rejects.toThrow(/notifications\.channels\[0\]\.type.*"webhook"/);
  });
});
