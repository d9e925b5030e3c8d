// The gRPC health benchmark: the module's grpc.health.v1 Check (the `grpc` option, in an
// application context) beside a bare @grpc/grpc-js unary handler that answers a constant, the
// floor. Each round runs both, one after the other, with `--concurrency` calls in flight on one
// channel for `--seconds`; the figures are the medians over `--rounds` and the ratio of the
// module to the bare server. Servers run pinned to core 0 and this load generator to core 1
// where the machine has two cores and taskset (bench/cores.mjs).
//
//   npm run bench:grpc -- --rounds=5 --seconds=5 --concurrency=50
//
// Prints one line per round and a summary table. Needs the built library (npm run build:lib).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ALL_CORES, SERVER_CORE, pinLoadGenerator, twoCores } from './cores.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const match = args.find((arg) => arg.startsWith(`--${name}=`));
  return match ? Number(match.split('=')[1]) : fallback;
};
const ROUNDS = option('rounds', 5);
const SECONDS = option('seconds', 5);
const CONCURRENCY = option('concurrency', 50);

await pinLoadGenerator();

const definition = protoLoader.loadSync(
  join(here, '..', 'libs', 'health', 'spec-helpers', 'grpc', 'health.proto'),
  { keepCase: true, enums: String, defaults: true },
);
const { Health } = grpc.loadPackageDefinition(definition).grpc.health.v1;

async function startServer(kind) {
  const command = twoCores ? 'taskset' : process.execPath;
  const argv = [join(here, 'grpc-server.cjs'), kind];
  const child = spawn(command, twoCores ? ['-c', SERVER_CORE, process.execPath, ...argv] : argv, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  while (!/ready \d+/.test(output)) {
    if (child.exitCode !== null) throw new Error(`${kind} server exited: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { child, port: Number(/ready (\d+)/.exec(output)[1]) };
}

function cpuSecondsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
}

async function load(port) {
  const client = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const check = () =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      client.check({ service: '' }, (error, response) => {
        if (error || response.status !== 'SERVING') reject(error ?? new Error(response.status));
        else resolve(performance.now() - started);
      });
    });
  for (let i = 0; i < 200; i += 1) await check(); // warm up the channel and the JIT
  const latencies = [];
  const until = performance.now() + SECONDS * 1_000;
  const worker = async () => {
    while (performance.now() < until) latencies.push(await check());
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - started) / 1_000;
  client.close();
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / elapsed,
    p99: latencies[Math.floor(latencies.length * 0.99)],
    calls: latencies.length,
  };
}

async function measure(kind) {
  const { child, port } = await startServer(kind);
  const cpuBefore = cpuSecondsOf(child.pid);
  const result = await load(port);
  const cpu = cpuSecondsOf(child.pid) - cpuBefore;
  child.kill('SIGTERM');
  await once(child, 'exit');
  return { ...result, cpuUsPerCall: (cpu * 1e6) / result.calls };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

console.log(
  `gRPC Check, ${CONCURRENCY} calls in flight, ${SECONDS} s x ${ROUNDS} rounds; ` +
    `servers on ${twoCores ? `core ${SERVER_CORE}` : `cores ${ALL_CORES}`}`,
);
const rounds = { module: [], bare: [] };
for (let round = 1; round <= ROUNDS; round += 1) {
  for (const kind of round % 2 ? ['module', 'bare'] : ['bare', 'module']) {
    const result = await measure(kind);
    rounds[kind].push(result);
    console.log(
      `round ${round} ${kind.padEnd(6)} ${result.rps.toFixed(0).padStart(7)} calls/s  ` +
        `p99 ${result.p99.toFixed(2)} ms  CPU ${result.cpuUsPerCall.toFixed(1)} µs/call`,
    );
  }
}
const summary = (kind) => ({
  rps: median(rounds[kind].map((r) => r.rps)),
  p99: median(rounds[kind].map((r) => r.p99)),
  cpu: median(rounds[kind].map((r) => r.cpuUsPerCall)),
});
const moduleFigures = summary('module');
const bare = summary('bare');
console.log('\n| server | calls/s (median) | p99 ms (median) | server CPU µs/call |');
console.log('| --- | --- | --- | --- |');
for (const [name, figures] of [
  ['module `grpc` Check', moduleFigures],
  ['bare grpc-js handler', bare],
]) {
  console.log(
    `| ${name} | ${figures.rps.toFixed(0)} | ${figures.p99.toFixed(2)} | ${figures.cpu.toFixed(1)} |`,
  );
}
console.log(
  `\nmodule / bare: ${(moduleFigures.rps / bare.rps).toFixed(2)}x calls/s, ` +
    `${(moduleFigures.cpu / bare.cpu).toFixed(2)}x CPU per call`,
);
