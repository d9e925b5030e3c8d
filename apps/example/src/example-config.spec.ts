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
