import { withheldFleetView } from './fleet-shown';
import { filterFleetView } from './fleet-view';
import type { FleetQuery } from './fleet.query';
import type { FleetView } from './fleet.types';

/** The `ageMs` written where the age goes, to be cut out (a real age is never negative). */
const AGE_MARK = -1;

/** Most bodies kept per view: one per kind of caller and filter asked for. */
const MAX_BODIES = 64;

/**
 * The serialized bodies of `GET /<path>/fleet`, made once per view read from Redis, kind of
 * caller (admitted to details or not) and filter: a view is reused for 100 ms, and at a
 * thousand replicas its JSON is most of a megabyte, which a request that serializes it again
 * pays for in CPU (a fifth of its time, measured) and garbage. Each body keeps its place for
 * `ageMs`, filled in per answer: the age of the view when it is sent.
 *
 * @internal
 */
export class FleetBodies {
  private view?: FleetView;
  private readonly bodies = new Map<string, readonly [head: string, tail: string]>();

  /**
   * The JSON of `view` as `filter` narrows it and `admitted` may see it, with its `ageMs` at
   * `nowMs`.
   */
  json(view: FleetView, filter: FleetQuery, admitted: boolean, nowMs: number): string {
    return this.answer(view, filter, admitted, nowMs).body;
  }

  /**
   * {@link json}, with a weak entity tag that names those bytes without hashing them (the view's
   * time, the caller's kind and the age; the filter is in the URL): Express would otherwise hash
   * the whole body of every answer for its `ETag` (a megabyte at a thousand replicas).
   */
  answer(
    view: FleetView,
    filter: FleetQuery,
    admitted: boolean,
    nowMs: number,
  ): { readonly body: string; readonly etag: string } {
    if (view !== this.view) {
      this.view = view;
      this.bodies.clear();
    }
    const key = `${admitted ? 'a' : 'w'}\u0000${filter.indicator ?? ''}\u0000${filter.status ?? ''}`;
    let parts = this.bodies.get(key);
    if (!parts) {
      const filtered = filterFleetView(view, filter);
      const shown = admitted ? filtered : withheldFleetView(filtered);
      const json = JSON.stringify({ ...shown, ageMs: AGE_MARK });
      const mark = `"ageMs":${AGE_MARK}`;
      const at = json.indexOf(mark);
      parts = [
        json.slice(0, at + mark.length - String(AGE_MARK).length),
        json.slice(at + mark.length),
      ];
      if (this.bodies.size < MAX_BODIES) this.bodies.set(key, parts);
    }
    const ageMs = Math.max(0, nowMs - Date.parse(view.timestamp));
    return {
      body: `${parts[0]}${ageMs}${parts[1]}`,
      // The filter is in the URL, which the tag goes with; the caller's kind is not.
      etag: `W/"fleet-${Date.parse(view.timestamp).toString(36)}-${admitted ? 'a' : 'w'}-${ageMs}"`,
    };
  }
}
