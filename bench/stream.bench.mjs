// Stream benchmark: N subscribers on GET /health/stream of one server process; how long one
// change takes to reach all of them (p50 / p99), server RSS per subscriber, and server CPU while
// idle. Prints a table and writes bench/results/stream-<time>.json.
//   npm run bench:stream            (1000, 5000, 10000 subscribers)
//   npm run bench:stream -- 2000    (other counts)
// The server runs on core 0 and this load generator on core 1 where the machine has two cores.
import { spawn } from 'node:child_process';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { pinLoadGenerator, SERVER_CORE, twoCores } from './cores.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const counts = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const COUNTS = counts.length ? counts : [1_000, 5_000, 10_000];
const FLIPS = 20;
await pinLoadGenerator();

function startServer(script, serverArgs = []) {
  const args = ['--expose-gc', join(here, script), ...serverArgs];
  const child = twoCores
    ? spawn('taskset', ['-c', SERVER_CORE, process.execPath, ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /ready (\d+)/.exec(out);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

function serverPid(child) {
  // With taskset, the node process is the child itself (taskset execs it).
  return child.pid;
}

function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
}

function subscribe(port, onChange) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/health/stream',
        agent: false,
        headers: { Accept: 'text/event-stream' },
      },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
        res.setEncoding('utf8');
        let buffer = '';
        let ready = false;
        res.on('data', (chunk) => {
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block.includes('event: snapshot') && !ready) {
              ready = true;
              resolve(req);
            } else if (block.includes('event: change') && block.includes('"name":"flip"')) {
              onChange(performance.now());
            }
          }
        });
        res.on('error', () => undefined);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function call(port, method, path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(count, server) {
  const { child, port } = await startServer(server.script, server.args);
  const pid = serverPid(child);
  await sleep(500);
  await call(port, 'POST', '/gc');
  const rssBefore = rssBytes(pid);
  let arrivals = [];
  const requests = [];
  const batch = 250;
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    requests.push(
      ...(await Promise.all(
        Array.from({ length: n }, () => subscribe(port, (t) => arrivals.push(t))),
      )),
    );
  }
  await sleep(1_000);
  await call(port, 'POST', '/gc');
  const rssAfter = rssBytes(pid);
  // Idle: no change, no heartbeat (15 s apart) during 5 s.
  const ticks0 = cpuTicks(pid);
  await sleep(5_000);
  const idleCpuPercent = ((cpuTicks(pid) - ticks0) / 100 / 5) * 100;

  const p50s = [];
  const p99s = [];
  const maxes = [];
  let delivered = 0;
  for (let flip = 0; flip < FLIPS; flip++) {
    arrivals = [];
    await call(port, 'POST', '/flip');
    const started = performance.now();
    await call(port, 'GET', '/health/ready');
    const deadline = Date.now() + 10_000;
    while (arrivals.length < count && Date.now() < deadline) await sleep(5);
    delivered += arrivals.length;
    const latencies = arrivals.map((t) => t - started).sort((a, b) => a - b);
    p50s.push(percentile(latencies, 50));
    p99s.push(percentile(latencies, 99));
    maxes.push(latencies[latencies.length - 1]);
    await sleep(200);
  }
  for (const req of requests) req.destroy();
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return {
    server: server.name,
    subscribers: count,
    flips: FLIPS,
    deliveredPercent: Math.round((delivered / (count * FLIPS)) * 10_000) / 100,
    fanOutP50Ms: round(median(p50s)),
    fanOutP99Ms: round(median(p99s)),
    fanOutMaxMs: round(median(maxes)),
    rssPerSubscriberKB: round((rssAfter - rssBefore) / count / 1024),
    serverRssMB: round(rssAfter / 1024 / 1024),
    idleCpuPercent: round(idleCpuPercent),
  };
}

function round(value) {
  return Math.round(value * 100) / 100;
}

// nest-health on Express and on Fastify, and the floor: a bare node:http server doing only what a
// stream must.
const SERVERS = [
  { name: 'nest-health', script: 'stream-server.cjs' },
  { name: 'nest-health (Fastify)', script: 'stream-server.cjs', args: ['fastify'] },
  { name: 'node:http floor', script: 'raw-sse-server.cjs' },
];
const results = [];
for (const count of COUNTS) {
  for (const server of SERVERS) {
    try {
      results.push(await measure(count, server));
    } catch (error) {
      results.push({ server: server.name, subscribers: count, error: String(error) });
    }
  }
}
const machine = {
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
  memoryGB: Math.round(totalmem() / 1024 ** 3),
  node: process.version,
  pinned: twoCores ? 'server on core 0, load generator on core 1' : 'not pinned',
};
console.log(
  `stream benchmark — ${machine.cpus}, ${machine.memoryGB} GB, Node ${machine.node}, ${machine.pinned}`,
);
console.table(results);
mkdirSync(join(here, 'results'), { recursive: true });
const file = join(here, 'results', `stream-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ machine, results }, null, 2));
console.log(`written to ${file}`);
