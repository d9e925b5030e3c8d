import { Injectable } from '@nestjs/common';
import type { HealthStatus } from '../check';
import type { GroupState } from '../engine/health-state.types';

/**
 * The JSON body of a plain probe (a probe without a query string, in the module's own format),
 * serialized once for one state of its group: everything but the timestamp, which is the time
 * of each answer. `head + timestamp + tail` is exactly `JSON.stringify` of the body the Nest
 * route answers (`status`, `group`, `timestamp`, `reason` when the module holds the group down,
 * `checks`).
 *
 * @internal
 */
export interface PrebuiltProbeBody {
  /** The group's status, which picks the HTTP code. */
  readonly status: HealthStatus;
  /** The body up to the timestamp's opening quote. */
  readonly head: string;
  /** The body from the timestamp's closing quote. */
  readonly tail: string;
  /** UTF-8 bytes of `head` and `tail` together (the timestamp is ASCII). */
  readonly fixedBytes: number;
}

/** The Content-Type of a probe's JSON body, as Express and Fastify write it for an object. @internal */
export const PROBE_CONTENT_TYPE = 'application/json; charset=utf-8';

/** One answer: the body with the time of the answer, and its length in bytes. @internal */
export interface RenderedProbeBody {
  readonly status: HealthStatus;
  readonly body: string;
  readonly byteLength: number;
}

/**
 * Plain probe bodies, serialized once per group state rather than once per request. The state
 * store replaces a group's (immutable) `GroupState` object on every change and hands out the
 * same object until then, so the object itself is the cache key: a `WeakMap` drops a body with
 * the state it was made of, and a change is never served stale.
 *
 * The timestamp (ISO-8601, as `Date.prototype.toISOString` writes it) is formatted at most once
 * per millisecond, and so is each state's whole body: answers within one millisecond (a probe
 * port under load answers tens of them) share one string, which V8 then flattens once for the
 * socket rather than once per answer.
 *
 * One per module instance, shared by the fast path and the probe routes (which answer a plain
 * probe with this text when no interceptor would see the body; see `HealthResponder`).
 *
 * @internal
 */
@Injectable()
export class ProbeBodyCache {
  private readonly bodies = new WeakMap<GroupState, CachedProbeBody>();
  private timestampMs = Number.NaN;
  private timestampText = '';

  /** The prebuilt body of `group` in this state; serializes it on the first call. */
  prebuilt(group: GroupState): PrebuiltProbeBody {
    return this.cached(group);
  }

  /** The body of `group` answered now: the prebuilt parts around the current time. */
  render(group: GroupState): RenderedProbeBody {
    const timestamp = this.now();
    const cached = this.cached(group);
    if (cached.rendered?.atMs !== this.timestampMs) {
      cached.rendered = {
        status: cached.status,
        body: cached.head + timestamp + cached.tail,
        byteLength: cached.fixedBytes + timestamp.length,
        atMs: this.timestampMs,
      };
    }
    return cached.rendered;
  }

  /** The current time as ISO-8601, formatted once per millisecond. */
  now(): string {
    const ms = Date.now();
    if (ms !== this.timestampMs) {
      this.timestampMs = ms;
      this.timestampText = new Date(ms).toISOString();
    }
    return this.timestampText;
  }

  private cached(group: GroupState): CachedProbeBody {
    let cached = this.bodies.get(group);
    if (!cached) {
      cached = prebuild(group);
      this.bodies.set(group, cached);
    }
    return cached;
  }
}

/** A rendered body and the millisecond whose timestamp it carries. */
interface RenderedAt extends RenderedProbeBody {
  readonly atMs: number;
}

/** One state's prebuilt parts, and the last body rendered of them. */
interface CachedProbeBody extends PrebuiltProbeBody {
  rendered?: RenderedAt;
}

/** Serializes everything of a probe body but its timestamp, in the Nest route's key order. */
function prebuild(group: GroupState): CachedProbeBody {
  const head = `{"status":${JSON.stringify(group.status)},"group":${JSON.stringify(group.name)},"timestamp":"`;
  const reason = group.reason ? `,"reason":${JSON.stringify(group.reason)}` : '';
  const tail = `"${reason},"checks":${JSON.stringify(group.checks)}}`;
  return {
    status: group.status,
    head,
    tail,
    fixedBytes: Buffer.byteLength(head) + Buffer.byteLength(tail),
  };
}
