import { FaultProxy } from '../helpers/fault-proxy';
import { describeFaults } from './fault-scenarios';

// PostgreSQL behind a fault proxy in front of the shared server, which is never touched: killed
// is the proxy dropping every connection and refusing new ones, hung is the proxy holding every
// byte (as a server stopped with SIGSTOP), slow is latency on its answers.
describeFaults({
  title: 'PostgreSQL',
  indicators: ['database'],
  adapter: 'express',
  async setUp() {
    const proxy = await FaultProxy.start({ port: 5432 });
    return {
      proxy,
      connect: (app) => app.withDatabaseAt(`postgres://postgres@127.0.0.1:${proxy.port}/test`),
      kill: () => proxy.refuse(),
      restart: () => proxy.forward(),
      hang: () => Promise.resolve(proxy.stall()),
      resume: () => proxy.forward(),
      tearDown: () => proxy.close(),
    };
  },
});
