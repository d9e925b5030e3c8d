import { Inject, Injectable } from '@nestjs/common';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { FleetConnection } from './fleet-connection';
import { fleetKeys, type FleetKeys } from './fleet-keys';
import { withDeadline } from './fleet-deadline';
import { buildFleetView, parseSnapshot, type FleetIndexEntry } from './fleet-view';
import type { ResolvedFleetOptions } from './fleet.options';
import type { FleetInstanceSnapshot, FleetView } from './fleet.types';

/**
 * Redis did not answer a read of the fleet in time, or answered with an error. Carries the last
 * view read (marked `available: false`, with its age), if there is one.
 *
 * @internal
 */
export class FleetUnavailableError extends Error {
  override name = 'FleetUnavailableError';
  constructor(
    readonly reason: string,
    readonly lastView: FleetView | undefined,
  ) {
    super(`fleet data unavailable: ${reason}`);
  }
}

/**
 * Reads the fleet from Redis: the index's members within `retentionMs`, then their snapshots in
 * one `MGET` (two round trips, on one slot of a Cluster). Reads are shared: callers that come
 * while one is in flight get its answer, and an answer is reused for 100 ms, so that a burst of
 * requests or a thousand dashboards cost one read. A read that fails or passes `timeoutMs`
 * throws {@link FleetUnavailableError} with the last view; the module never reads the fleet for
 * its own probes.
 *
 * @internal
 */
@Injectable()
export class FleetReader {
  /** An answer is reused for this many milliseconds. */
  static readonly REUSE_MS = 100;
  private readonly fleet?: ResolvedFleetOptions;
  private readonly keys?: FleetKeys;
  private inFlight?: Promise<FleetView>;
  /** Snapshots parsed by the last read, by their JSON. */
  private parsed = new Map<string, FleetInstanceSnapshot | null>();
  /** Snapshots parsed by the read in progress. */
  private nextParsed = new Map<string, FleetInstanceSnapshot | null>();
  /** A read past its deadline that Redis has not answered yet: no other is sent meanwhile. */
  private unanswered?: Promise<void>;
  private last?: { readonly view: FleetView; readonly atMs: number };

  /** Created by Nest's injector. @internal */
  constructor(
    private readonly connection: FleetConnection,
    @Inject(HEALTH_RESOLVED_OPTIONS) options: ResolvedHealthModuleOptions,
  ) {
    this.fleet = options.fleet;
    if (this.fleet) this.keys = fleetKeys(this.fleet.prefix, this.fleet.service);
  }

  /** Whether the fleet is configured. */
  get enabled(): boolean {
    return this.fleet !== undefined;
  }

  /** The options, when the fleet is configured. */
  get options(): ResolvedFleetOptions | undefined {
    return this.fleet;
  }

  /** The last view read, marked with its age and `available: false`; `undefined` before any. */
  lastView(): FleetView | undefined {
    if (!this.last) return undefined;
    return { ...this.last.view, available: false, ageMs: Date.now() - this.last.atMs };
  }

  /**
   * The fleet view now, or the one read at most 100 ms ago (the same object: its `ageMs` is 0,
   * and its age is the time since its `timestamp`).
   *
   * @throws FleetUnavailableError when Redis does not answer within `timeoutMs` or fails.
   */
  read(): Promise<FleetView> {
    const last = this.last;
    if (last && Date.now() - last.atMs <= FleetReader.REUSE_MS) return Promise.resolve(last.view);
    this.inFlight ??= this.readNow().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /**
   * A snapshot parsed once per JSON: a replica's snapshot changes once per publish, and reads
   * come up to ten times a second, so most reads parse nothing again.
   */
  private parse(json: string | null): FleetInstanceSnapshot | null {
    if (json === null) return null;
    const known = this.parsed.get(json);
    const snapshot = known === undefined ? parseSnapshot(json) : known;
    this.nextParsed.set(json, snapshot);
    return snapshot;
  }

  /** Keeps the snapshots of this read for the next, and only those (the map stays fleet-sized). */
  private keepParsed(): void {
    this.parsed = this.nextParsed;
    this.nextParsed = new Map();
  }

  private async readNow(): Promise<FleetView> {
    const fleet = this.fleet;
    const keys = this.keys;
    const redis = this.connection.redis;
    if (!fleet || !keys || !redis) {
      throw new FleetUnavailableError('the fleet is not configured', undefined);
    }
    if (this.unanswered) {
      throw new FleetUnavailableError('Redis has not answered the previous read', this.lastView());
    }
    let view: FleetView | undefined;
    const reading = (async () => {
      const nowMs = Date.now();
      const flat = await redis.zrangebyscore(
        keys.index,
        nowMs - fleet.retentionMs,
        '+inf',
        'WITHSCORES',
      );
      const names: string[] = [];
      const scores: number[] = [];
      for (let index = 0; index + 1 < flat.length; index += 2) {
        names.push(flat[index]);
        scores.push(Number(flat[index + 1]));
      }
      const snapshots =
        names.length === 0 ? [] : await redis.mget(...names.map((name) => keys.instance(name)));
      const entries: FleetIndexEntry[] = names.map((instance, index) => ({
        instance,
        lastSeenMs: scores[index],
        json: snapshots[index] ?? null,
      }));
      const readAt = Date.now();
      view = buildFleetView(fleet.service, entries, fleet.policy, fleet.ttlMs, readAt, (json) =>
        this.parse(json),
      );
      this.keepParsed();
      this.last = { view, atMs: readAt };
    })();
    const outcome = await withDeadline(reading, fleet.timeoutMs);
    if (outcome.ok && view) return view;
    if (!outcome.ok && outcome.timedOut) {
      const unanswered = reading
        .catch(() => undefined)
        .finally(() => {
          if (this.unanswered === unanswered) this.unanswered = undefined;
        });
      this.unanswered = unanswered;
    }
    throw new FleetUnavailableError(outcome.ok ? 'no view' : outcome.reason, this.lastView());
  }
}
