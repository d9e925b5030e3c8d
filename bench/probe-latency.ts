// Probe latency: how long the health endpoints take to answer, on Express and Fastify.
//
//   node --require ./test/helpers/register-typescript.cjs bench/probe-latency.ts [seconds] [paths…]
//
// A child process serves a Nest app with HealthModule and three instant indicators; this process
// sends keep-alive GETs from 8 concurrent connections, in rounds of `seconds` (default 1) that
// visit every path in turn, 5 rounds, and prints each path's best round: requests per second and
// latency percentiles. The best of interleaved rounds is what the code costs when nothing else
// competes for the CPU; both processes share the machine's cores, so compare the figures with
// each other (a constant route is the yardstick), not with another machine's.
import 'reflect-metadata';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, get } from 'node:http';
import { performance } from 'node:perf_hooks';
import { HealthIndicator, HealthModule, up, type HealthIndicatorCheck } from 'nest-health';

const CONNECTIONS = 8;
const ROUNDS = 5;
const DEFAULT_PATHS = ['/constant', '/health/ready', '/health/ready?verbose', '/health'];

@HealthIndicator({ name: 'database' })
class DatabaseHealth implements HealthIndicatorCheck {
  check() {
    return up({ responseTimeMs: 1.2 });
  }
}

@HealthIndicator({ name: 'redis' })
class RedisHealth implements HealthIndicatorCheck {
  check() {
    return up();
  }
}

@HealthIndicator({ name: 'loop', groups: ['liveness'] })
class LoopHealth implements HealthIndicatorCheck {
  check() {
    return up();
  }
}

/** The yardstick: a route that answers a constant. */
@Controller()
class ConstantController {
  @Get('constant')
  constant() {
    return { status: 'up' };
  }
}

@Module({
  imports: [HealthModule.forRoot({ logger: false })],
  controllers: [ConstantController],
  providers: [DatabaseHealth, RedisHealth, LoopHealth],
})
class BenchModule {}

async function serve(adapter: string): Promise<void> {
  const app: INestApplication =
    adapter === 'fastify'
      ? await NestFactory.create(BenchModule, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(BenchModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  process.send?.({ url: (await app.getUrl()).replace('[::1]', '127.0.0.1') });
  // Answers 'cpu' with the CPU time used so far, in microseconds.
  process.on('message', (message) => {
    if (message !== 'cpu') return;
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMicros: user + system });
  });
  process.on('disconnect', () => void app.close());
}

interface Figures {
  readonly path: string;
  readonly status: number;
  /** CPU time of the server per request, in microseconds. */
  readonly serverCpuMicros?: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

async function load(base: string, path: string, seconds: number): Promise<Figures> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let status = 0;
  const deadline = performance.now() + seconds * 1000;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      get(`${base}${path}`, { agent }, (res) => {
        status = res.statusCode ?? 0;
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - started);
          resolve();
        });
      }).on('error', reject);
    });
  const worker = async () => {
    while (performance.now() < deadline) await one();
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const elapsedS = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.floor(q * (latencies.length - 1))] * 1000) / 1000;
  return {
    path,
    status,
    requestsPerSecond: Math.round(latencies.length / elapsedS),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}

/** The server's CPU time so far, in microseconds. */
function serverCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      const cpu = (message as { cpuMicros?: number }).cpuMicros;
      if (cpu === undefined) return;
      child.off('message', onMessage);
      resolve(cpu);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

async function main(): Promise<void> {
  const [, , role, adapterArg] = process.argv;
  if (role === 'serve') return serve(adapterArg);
  const seconds = Number(process.argv[2] ?? 1) || 1;
  const paths = process.argv.length > 3 ? process.argv.slice(3) : DEFAULT_PATHS;
  for (const adapter of ['express', 'fastify']) {
    const child = fork(__filename, ['serve', adapter], {
      execArgv: ['--require', './test/helpers/register-typescript.cjs'],
    });
    const { url } = await new Promise<{ url: string }>((resolve) =>
      child.once('message', (m) => resolve(m as { url: string })),
    );
    for (const path of paths) await load(url, path, 0.5); // warm-up
    const best = new Map<string, Figures>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const path of paths) {
        const cpuBefore = await serverCpu(child);
        const measured = await load(url, path, seconds);
        const cpuMicros = (await serverCpu(child)) - cpuBefore;
        const requests = measured.requestsPerSecond * seconds;
        const figures = { ...measured, serverCpuMicros: Math.round(cpuMicros / requests) };
        const previous = best.get(path);
        if (!previous || figures.requestsPerSecond > previous.requestsPerSecond) {
          best.set(path, figures);
        }
      }
    }
    for (const path of paths) {
      process.stdout.write(`${JSON.stringify({ adapter, ...best.get(path) })}\n`);
    }
    child.disconnect();
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

void main();
