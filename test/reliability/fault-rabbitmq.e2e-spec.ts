import { FaultProxy } from '../helpers/fault-proxy';
import { describeFaults } from './fault-scenarios';

// RabbitMQ (the example app's `RABBITMQ_URL`, checked by the built-in rabbitmqIndicator) behind a
// fault proxy in front of the shared broker, which is never touched: killed is the proxy
// dropping every connection and refusing new ones, hung is the proxy holding every byte, slow is
// latency on the broker's answers.
describeFaults({
  title: 'RabbitMQ',
  indicators: ['rabbitmq'],
  adapter: 'express',
  async setUp() {
    const proxy = await FaultProxy.start({ port: 5672 });
    return {
      proxy,
      connect: (app) => app.withRabbitMqAt(`amqp://guest:guest@127.0.0.1:${proxy.port}`),
      kill: () => proxy.refuse(),
      restart: () => proxy.forward(),
      hang: () => Promise.resolve(proxy.stall()),
      resume: () => proxy.forward(),
      tearDown: () => proxy.close(),
    };
  },
});
