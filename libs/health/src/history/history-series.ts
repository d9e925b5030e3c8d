import type { HealthStatus, IndicatorStatus } from '../check';
import type { ResolvedHistoryOptions } from './health-history.options';
import type {
  HealthBucketLatency,
  HealthHistoryBuckets,
  HealthHistoryTransition,
  HealthUptime,
} from './health-history.types';

/** Status codes of the typed arrays: 0 is "none" (no run; not observed; `unknown`). */
const UNKNOWN = 0;
const UP = 1;
const DEGRADED = 2;
const DOWN = 3;
const CODES: Readonly<Record<IndicatorStatus, number>> = {
  unknown: UNKNOWN,
  up: UP,
  degraded: DEGRADED,
  down: DOWN,
};
const STATUSES: readonly IndicatorStatus[] = ['unknown', 'up', 'degraded', 'down'];

/** Latency samples kept for the open bucket; past it, a uniform sample (reservoir) of this many. */
export const MAX_BUCKET_SAMPLES = 2_048;

/** Bytes (UTF-8) of a transition's message kept, in a fixed slot of the series' buffer. */
export const MAX_HISTORY_MESSAGE_BYTES = 100;

/** Bytes per transition kept: time and duration, from and to, message length and message. */
const TRANSITION_BYTES = 16 + 2 + 1 + MAX_HISTORY_MESSAGE_BYTES;

/** Most runs (and failures, recoveries) counted per bucket: a `Uint16`. */
const MAX_COUNT = 65_535;

/** The open bucket's figures, in full precision until it closes. */
interface OpenBucket {
  runs: number;
  failures: number;
  worst: number;
  min: number;
  max: number;
  /** Runs offered to the sample (may exceed the samples kept). */
  seen: number;
  /** Milliseconds spent up, degraded, down (index = status code - 1). */
  readonly time: [number, number, number];
  recoveries: number;
  recoveredMs: number;
}

/** Sums of the closed buckets of a window, cached until a bucket closes. */
interface ClosedSums {
  head: number;
  time: [number, number, number];
  recoveries: number;
  recoveredMs: number;
}

/**
 * The history of one indicator (with runs) or group (statuses only): a ring of fixed time
 * buckets in typed arrays — one `ArrayBuffer` per series, sized once — and a ring of the last
 * transitions. Memory does not depend on how often it runs: the open bucket's figures are folded
 * into the ring when it closes (p50 and p95 from the open bucket's own samples, then stored as
 * `Float32`), and only that bucket's latency samples grow with its runs (at most
 * {@link MAX_BUCKET_SAMPLES}).
 *
 * Bytes per bucket: 33 for an indicator (latency min / p50 / p95 / max and recovered time as
 * `Float32`; runs, failures, recoveries and the time up / degraded / down as `Uint16`, in units
 * of `ceil(bucketMs / 65535)` ms; worst status as `Uint8`), 13 for a group. Per transition kept:
 * 119 bytes, its message included (at most {@link MAX_HISTORY_MESSAGE_BYTES} bytes of UTF-8, in a
 * slot of its own), so that the memory is fixed when the series is made.
 *
 * Time is accounted to the effective status held, from the first result on (an indicator's
 * `unknown` time is not observed); every method takes the time (`now`, epoch milliseconds)
 * rather than reading a clock, and time never goes back (an earlier time counts as the last).
 *
 * @internal
 */
export class HistorySeries {
  private readonly n: number;
  private readonly bucketMs: number;
  private readonly unitMs: number;
  private readonly withRuns: boolean;
  // Closed buckets; slot = bucket number % n.
  private readonly latMin?: Float32Array;
  private readonly latP50?: Float32Array;
  private readonly latP95?: Float32Array;
  private readonly latMax?: Float32Array;
  private readonly recoveredMs: Float32Array;
  private readonly runs?: Uint16Array;
  private readonly failures?: Uint16Array;
  /** Three per slot: up, degraded, down, in `unitMs`. */
  private readonly time: Uint16Array;
  private readonly recoveries: Uint16Array;
  private readonly worst: Uint8Array;
  // Transitions: a ring of `maxTransitions`.
  private readonly maxTransitions: number;
  /** Two per entry: time, duration of the state left. */
  private readonly transitionTimes: Float64Array;
  /** Two per entry: from, to. */
  private readonly transitionCodes: Uint8Array;
  /** Length of each message in {@link messageBytes}; 0 for none. */
  private readonly messageLengths: Uint8Array;
  /** One slot of {@link MAX_HISTORY_MESSAGE_BYTES} per transition: its message, UTF-8. */
  private readonly messageBytes: Buffer;
  private transitionCount = 0;
  private transitionNext = 0;
  // The open bucket.
  private head: number;
  private readonly first: number;
  private open: OpenBucket = emptyBucket();
  private samples = new Float32Array(16);
  // The status held.
  private current: number;
  private cursor: number;
  private enteredAt: number;
  private readonly lastHeld: [number | null, number | null, number | null, number | null] = [
    null,
    null,
    null,
    null,
  ];
  private readonly sums = new Map<number, ClosedSums>();

  constructor(
    options: ResolvedHistoryOptions,
    kind: 'indicator' | 'group',
    status: IndicatorStatus,
    since: number,
    now: number,
  ) {
    this.n = options.buckets;
    this.bucketMs = options.bucketMs;
    this.unitMs = Math.max(1, Math.ceil(options.bucketMs / MAX_COUNT));
    this.withRuns = kind === 'indicator';
    const n = this.n;
    const floats = (this.withRuns ? 5 : 1) * n;
    const shorts = (this.withRuns ? 6 : 4) * n;
    const buffer = new ArrayBuffer(floats * 4 + shorts * 2 + n);
    let offset = 0;
    const float32 = () => {
      const view = new Float32Array(buffer, offset, n);
      offset += n * 4;
      return view;
    };
    const uint16 = (length: number) => {
      const view = new Uint16Array(buffer, offset, length);
      offset += length * 2;
      return view;
    };
    if (this.withRuns) {
      this.latMin = float32();
      this.latP50 = float32();
      this.latP95 = float32();
      this.latMax = float32();
    }
    this.recoveredMs = float32();
    if (this.withRuns) {
      this.runs = uint16(n);
      this.failures = uint16(n);
    }
    this.time = uint16(3 * n);
    this.recoveries = uint16(n);
    this.worst = new Uint8Array(buffer, offset, n);
    this.maxTransitions = options.maxTransitions;
    const m = options.maxTransitions;
    const transitions = new ArrayBuffer(m * TRANSITION_BYTES);
    this.transitionTimes = new Float64Array(transitions, 0, m * 2);
    this.transitionCodes = new Uint8Array(transitions, m * 16, m * 2);
    this.messageLengths = new Uint8Array(transitions, m * 18, m);
    this.messageBytes = Buffer.from(transitions, m * 19, m * MAX_HISTORY_MESSAGE_BYTES);
    this.head = this.bucketOf(now);
    this.first = this.head;
    this.current = CODES[status];
    this.cursor = now;
    this.enteredAt = Math.min(since, now);
  }

  /** Bytes held by the typed arrays (buckets, transitions, the open bucket's samples). */
  get arrayBytes(): number {
    return (
      this.worst.buffer.byteLength +
      this.transitionTimes.buffer.byteLength +
      this.samples.byteLength
    );
  }

  /** The effective status held now. */
  get status(): IndicatorStatus {
    return STATUSES[this.current];
  }

  /**
   * Records one run of an indicator: its own status and duration, then the effective status
   * after it (a transition when it changed, with the run's message).
   */
  recordRun(
    at: number,
    status: HealthStatus,
    durationMs: number,
    effective: IndicatorStatus,
    message: string | null,
  ): void {
    const time = this.advance(at);
    const open = this.open;
    open.runs = Math.min(MAX_COUNT, open.runs + 1);
    const code = CODES[status];
    if (code === DOWN) open.failures = Math.min(MAX_COUNT, open.failures + 1);
    if (code > open.worst) open.worst = code;
    this.sample(durationMs);
    this.enter(time, CODES[effective], message);
  }

  /** Records an effective transition (a group's). */
  recordStatus(at: number, status: IndicatorStatus, message: string | null = null): void {
    this.enter(this.advance(at), CODES[status], message);
  }

  /** The uptime over the last `windowMs` (whole buckets: the open one and those before it). */
  uptime(now: number, windowMs: number): HealthUptime {
    const totals = this.totals(now, windowMs);
    const [up, degraded, down] = totals.time;
    const observed = up + degraded + down;
    if (observed <= 0) return { up: null, upOrDegraded: null };
    return {
      up: percent(up / observed),
      upOrDegraded: percent((up + degraded) / observed),
    };
  }

  /** Mean duration of the `down` periods that ended in the window, and their number. */
  recovery(now: number, windowMs: number): { mttrMs: number | null; recoveries: number } {
    const { recoveries, recoveredMs } = this.totals(now, windowMs);
    return {
      mttrMs: recoveries === 0 ? null : Math.round(recoveredMs / recoveries),
      recoveries,
    };
  }

  /** The last time the status was `status` (`now` while it is), or `null`. */
  lastSeen(now: number, status: 'up' | 'down'): number | null {
    this.advance(now);
    const code = CODES[status];
    return this.current === code ? this.cursor : this.lastHeld[code];
  }

  /** The status held and since when. */
  streak(now: number): { status: IndicatorStatus; since: number; durationMs: number } {
    const time = this.advance(now);
    return {
      status: STATUSES[this.current],
      since: this.enteredAt,
      durationMs: Math.max(0, time - this.enteredAt),
    };
  }

  /** The transitions kept at or after `after`, oldest first; messages only when `messages`. */
  transitions(after: number, messages: boolean): HealthHistoryTransition[] {
    const list: HealthHistoryTransition[] = [];
    const start =
      (this.transitionNext - this.transitionCount + this.maxTransitions) % this.maxTransitions;
    for (let i = 0; i < this.transitionCount; i++) {
      const slot = (start + i) % this.maxTransitions;
      const at = this.transitionTimes[slot * 2];
      if (at < after) continue;
      const entry = {
        from: STATUSES[this.transitionCodes[slot * 2]],
        to: STATUSES[this.transitionCodes[slot * 2 + 1]],
        at: new Date(at).toISOString(),
        durationMs: this.transitionTimes[slot * 2 + 1],
      };
      list.push(messages && this.withRuns ? { ...entry, message: this.message(slot) } : entry);
    }
    return list;
  }

  /** The buckets of the window, oldest first (the open one last), by column. */
  buckets(now: number, windowMs: number): HealthHistoryBuckets {
    this.advance(now);
    const from = Math.max(this.head - this.windowBuckets(windowMs) + 1, this.first);
    const count = this.head - from + 1;
    const worst: (HealthStatus | null)[] = [];
    const upMs: number[] = [];
    const degradedMs: number[] = [];
    const downMs: number[] = [];
    const runs: number[] = [];
    const failures: number[] = [];
    const latencyMs: (HealthBucketLatency | null)[] = [];
    for (let bucket = from; bucket <= this.head; bucket++) {
      const slot = bucket % this.n;
      const isOpen = bucket === this.head;
      const code = isOpen ? this.open.worst : this.worst[slot];
      worst.push(code === UNKNOWN ? null : (STATUSES[code] as HealthStatus));
      const time = isOpen ? this.open.time : this.closedTime(slot);
      upMs.push(Math.round(time[0]));
      degradedMs.push(Math.round(time[1]));
      downMs.push(Math.round(time[2]));
      if (!this.withRuns) continue;
      runs.push(isOpen ? this.open.runs : this.runs![slot]);
      failures.push(isOpen ? this.open.failures : this.failures![slot]);
      latencyMs.push(isOpen ? this.openLatency() : this.closedLatency(slot));
    }
    const columns = { worst, upMs, degradedMs, downMs };
    return {
      from: new Date(from * this.bucketMs).toISOString(),
      bucketMs: this.bucketMs,
      count,
      ...(this.withRuns ? { runs, failures, latencyMs, ...columns } : columns),
    };
  }

  /** Accounts the status held up to `at` (closing the buckets it passes); returns the time used. */
  private advance(at: number): number {
    const time = Math.max(at, this.cursor);
    const target = this.bucketOf(time);
    if (target > this.head) {
      // Time up to the end of the open bucket, then whole buckets, then the new open one.
      const skipped = target - this.head;
      this.account((this.head + 1) * this.bucketMs - this.cursor);
      this.close();
      const fresh = Math.min(skipped - 1, this.n);
      for (let i = 1; i <= fresh; i++) {
        const bucket = target - fresh + i - 1;
        this.openAt(bucket);
        this.account(this.bucketMs);
        this.close();
      }
      this.openAt(target);
      this.cursor = target * this.bucketMs;
    }
    this.account(time - this.cursor);
    this.cursor = time;
    return time;
  }

  private account(ms: number): void {
    if (this.current === UNKNOWN || ms <= 0) return;
    this.open.time[this.current - 1] += ms;
    if (this.current > this.open.worst && !this.withRuns) this.open.worst = this.current;
  }

  /** A change of the effective status at `time` (already accounted up to it). */
  private enter(time: number, code: number, message: string | null): void {
    if (code === this.current) return;
    const left = this.current;
    const durationMs = Math.max(0, time - this.enteredAt);
    if (left === DOWN) {
      this.open.recoveries = Math.min(MAX_COUNT, this.open.recoveries + 1);
      this.open.recoveredMs += durationMs;
    }
    this.lastHeld[left] = time;
    const slot = this.transitionNext;
    this.transitionTimes[slot * 2] = time;
    this.transitionTimes[slot * 2 + 1] = durationMs;
    this.transitionCodes[slot * 2] = left;
    this.transitionCodes[slot * 2 + 1] = code;
    this.keepMessage(slot, message);
    this.transitionNext = (slot + 1) % this.maxTransitions;
    this.transitionCount = Math.min(this.transitionCount + 1, this.maxTransitions);
    this.current = code;
    this.enteredAt = time;
    if (!this.withRuns && code > this.open.worst) this.open.worst = code;
  }

  /**
   * Writes a message into its slot, UTF-8, whole characters only: past
   * {@link MAX_HISTORY_MESSAGE_BYTES}, cut and ended with `…`.
   */
  private keepMessage(slot: number, message: string | null): void {
    const start = slot * MAX_HISTORY_MESSAGE_BYTES;
    if (!message) {
      this.messageLengths[slot] = 0;
      return;
    }
    const bytes = this.messageBytes;
    let length: number;
    if (Buffer.byteLength(message) <= MAX_HISTORY_MESSAGE_BYTES) {
      length = bytes.write(message, start, MAX_HISTORY_MESSAGE_BYTES, 'utf8');
    } else {
      length = bytes.write(message, start, MAX_HISTORY_MESSAGE_BYTES - 3, 'utf8');
      length += bytes.write('…', start + length, 3, 'utf8');
    }
    this.messageLengths[slot] = length;
  }

  private message(slot: number): string | null {
    const length = this.messageLengths[slot];
    if (length === 0) return null;
    const start = slot * MAX_HISTORY_MESSAGE_BYTES;
    return this.messageBytes.toString('utf8', start, start + length);
  }

  private sample(durationMs: number): void {
    const open = this.open;
    const value = Number.isFinite(durationMs) && durationMs >= 0 ? durationMs : 0;
    if (open.seen === 0 || value < open.min) open.min = value;
    if (open.seen === 0 || value > open.max) open.max = value;
    const index = open.seen;
    open.seen += 1;
    if (index < MAX_BUCKET_SAMPLES) {
      if (index >= this.samples.length) {
        const grown = new Float32Array(Math.min(this.samples.length * 2, MAX_BUCKET_SAMPLES));
        grown.set(this.samples);
        this.samples = grown;
      }
      this.samples[index] = value;
      return;
    }
    // Reservoir sampling (Algorithm R): every run has the same chance to be in the sample.
    const slot = Math.floor(Math.random() * open.seen);
    if (slot < MAX_BUCKET_SAMPLES) this.samples[slot] = value;
  }

  /** Folds the open bucket into its slot. */
  private close(): void {
    const slot = this.head % this.n;
    const open = this.open;
    for (let i = 0; i < 3; i++) {
      this.time[slot * 3 + i] = Math.min(MAX_COUNT, Math.round(open.time[i] / this.unitMs));
    }
    this.recoveries[slot] = open.recoveries;
    this.recoveredMs[slot] = open.recoveredMs;
    this.worst[slot] = open.worst;
    if (this.withRuns) {
      this.runs![slot] = open.runs;
      this.failures![slot] = open.failures;
      const latency = this.openLatency();
      if (latency === null) this.clearLatency(slot);
      else {
        this.latMin![slot] = open.min;
        this.latP50![slot] = latency.p50;
        this.latP95![slot] = latency.p95;
        this.latMax![slot] = open.max;
      }
    }
  }

  /** Makes `bucket` the open one, empty. */
  private openAt(bucket: number): void {
    this.head = bucket;
    this.open = emptyBucket();
  }

  private clearLatency(slot: number): void {
    this.latMin![slot] = NaN;
    this.latP50![slot] = NaN;
    this.latP95![slot] = NaN;
    this.latMax![slot] = NaN;
  }

  /** The open bucket's latency so far: nearest-rank p50 and p95 of its samples. */
  private openLatency(): HealthBucketLatency | null {
    const open = this.open;
    if (open.seen === 0) return null;
    const kept = Math.min(open.seen, MAX_BUCKET_SAMPLES);
    const sorted = this.samples.slice(0, kept).sort();
    return {
      min: round2(open.min),
      p50: round2(sorted[nearestRank(kept, 0.5)]),
      p95: round2(sorted[nearestRank(kept, 0.95)]),
      max: round2(open.max),
    };
  }

  private closedLatency(slot: number): HealthBucketLatency | null {
    if (this.runs![slot] === 0 || Number.isNaN(this.latMin![slot])) return null;
    return {
      min: round2(this.latMin![slot]),
      p50: round2(this.latP50![slot]),
      p95: round2(this.latP95![slot]),
      max: round2(this.latMax![slot]),
    };
  }

  private closedTime(slot: number): [number, number, number] {
    const unit = this.unitMs;
    return [
      this.time[slot * 3] * unit,
      this.time[slot * 3 + 1] * unit,
      this.time[slot * 3 + 2] * unit,
    ];
  }

  private bucketOf(time: number): number {
    return Math.floor(time / this.bucketMs);
  }

  private windowBuckets(windowMs: number): number {
    return Math.min(this.n, Math.max(1, Math.ceil(windowMs / this.bucketMs)));
  }

  /** Sums of the window's buckets: the closed ones (cached per head), then the open one. */
  private totals(now: number, windowMs: number): ClosedSums {
    this.advance(now);
    const k = this.windowBuckets(windowMs);
    let closed = this.sums.get(k);
    if (closed?.head !== this.head) {
      closed = { head: this.head, time: [0, 0, 0], recoveries: 0, recoveredMs: 0 };
      for (let bucket = Math.max(this.head - k + 1, this.first); bucket < this.head; bucket++) {
        const slot = bucket % this.n;
        const time = this.closedTime(slot);
        for (let i = 0; i < 3; i++) closed.time[i] += time[i];
        closed.recoveries += this.recoveries[slot];
        closed.recoveredMs += this.recoveredMs[slot];
      }
      this.sums.set(k, closed);
    }
    const open = this.open;
    return {
      head: this.head,
      time: [
        closed.time[0] + open.time[0],
        closed.time[1] + open.time[1],
        closed.time[2] + open.time[2],
      ],
      recoveries: closed.recoveries + open.recoveries,
      recoveredMs: closed.recoveredMs + open.recoveredMs,
    };
  }
}

function emptyBucket(): OpenBucket {
  return {
    runs: 0,
    failures: 0,
    worst: UNKNOWN,
    min: 0,
    max: 0,
    seen: 0,
    time: [0, 0, 0],
    recoveries: 0,
    recoveredMs: 0,
  };
}

/** The index of the nearest-rank `p` percentile among `count` sorted values. */
function nearestRank(count: number, p: number): number {
  return Math.max(0, Math.ceil(p * count) - 1);
}

function percent(share: number): number {
  return Math.round(share * 100_000) / 1_000;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
