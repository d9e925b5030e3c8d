import { execFile } from 'node:child_process';
import {
  accessSync,
  constants,
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import {
  HEALTH_METRIC_NAMES,
  INDICATOR_METRIC_STATES,
  NOTIFICATION_METRIC_OUTCOMES,
} from 'nest-health';

const RULES_DIR = join(__dirname, '../apps/example/prometheus');
const RULES = join(RULES_DIR, 'health.rules.yml');
const RULES_TEST = join(RULES_DIR, 'health.rules.test.yml');

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** The full path of `command` on PATH, or undefined. */
function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function run(command: string, args: readonly string[], cwd: string) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile(command, args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

const rules = (
  parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((group) => group.rules);

describe('the Prometheus alerting rules of the example (apps/example/prometheus)', () => {
  it('use only the metrics, labels and states that the module exports', () => {
    const metrics = new Set<string>(Object.values(HEALTH_METRIC_NAMES));
    const used = rules.flatMap((rule) => rule.expr.match(/\bhealth_\w+/g) ?? []);
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) {
      const base = name.replace(/_(bucket|count|sum)$/, '');
      expect({ name, known: metrics.has(name) || metrics.has(base) }).toEqual({
        name,
        known: true,
      });
    }
    for (const [, state] of rules.flatMap((rule) => [...rule.expr.matchAll(/state="(\w+)"/g)])) {
      expect(INDICATOR_METRIC_STATES).toContain(state);
    }
    for (const [, outcomes] of rules.flatMap((rule) => [
      ...rule.expr.matchAll(/outcome=~?"([\w|]+)"/g),
    ])) {
      for (const outcome of outcomes.split('|')) {
        expect(NOTIFICATION_METRIC_OUTCOMES).toContain(outcome);
      }
    }
    // Each summary names what failed (the indicator, or the notification channel) and where.
    for (const rule of rules) {
      const subject = rule.expr.includes(HEALTH_METRIC_NAMES.notifications)
        ? '{{ $labels.channel }}'
        : '{{ $labels.indicator }}';
      expect(rule.annotations?.summary).toContain(subject);
      expect(rule.annotations?.summary).toContain('$labels.pod');
    }
  });

  const promtool = onPath('promtool');
  if (!promtool) {
    console.warn(
      'promtool is not on PATH: the promtool tests of apps/example/prometheus/health.rules.yml ' +
        'are skipped. Debian: apt-get install --no-install-recommends prometheus; elsewhere: ' +
        'the promtool binary from a Prometheus release.',
    );
  }
  const withPromtool = promtool ? it : it.skip;
  const bin = promtool ?? 'promtool';

  withPromtool('pass promtool check rules and promtool test rules', async () => {
    const check = await run(bin, ['check', 'rules', RULES], RULES_DIR);
    expect(check).toEqual({ code: 0, output: expect.stringContaining('SUCCESS: 3 rules found') });
    const test = await run(bin, ['test', 'rules', RULES_TEST], RULES_DIR);
    expect(test).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') });
  });

  withPromtool(
    'would have failed with the former expression, which fires on the first sample of a new series',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'nest-health-rules-'));
      try {
        const current =
          '        expr: health_indicator_status{state="down"} == 1\n        for: 5m\n';
        const source = readFileSync(RULES, 'utf8');
        expect(source).toContain(current);
        writeFileSync(
          join(dir, 'health.rules.yml'),
          source.replace(
            current,
            '        expr: min_over_time(health_indicator_status{state="down"}[5m]) == 1\n',
          ),
        );
        copyFileSync(RULES_TEST, join(dir, 'health.rules.test.yml'));
        const test = await run(bin, ['test', 'rules', 'health.rules.test.yml'], dir);
        expect(test.code).not.toBe(0);
        // The pod that starts with its database down pages at once (time 0s) under the old rule.
        expect(test.output).toMatch(/alertname: HealthIndicatorDown, time: 0s,\s*exp:\[\],/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
