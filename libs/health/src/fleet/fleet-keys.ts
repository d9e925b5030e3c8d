/**
 * The Redis keys of one service's fleet. Every key holds the service in a hash tag
 * (`{orders-api}`), so that a Redis Cluster keeps them on one slot: a publish (`MULTI`) and a read
 * (`MGET`) never cross slots.
 *
 * | key                                   | type        | lifetime                          |
 * | ------------------------------------- | ----------- | --------------------------------- |
 * | `<prefix>:{<service>}:instances`      | sorted set  | `retentionMs` after last publish  |
 * | `<prefix>:{<service>}:instance:<name>`| string JSON | `ttlMs` after its replica's publish |
 * | `<prefix>:{<service>}:transitions`    | stream      | `retentionMs` after last publish  |
 * | `<prefix>:{<service>}:notify:<…>`     | string `1`  | the notification lock's TTL       |
 *
 * @internal
 */
export interface FleetKeys {
  /** Sorted set of replica names, scored by their last publish (milliseconds since the epoch). */
  readonly index: string;
  /** Redis Stream of transitions, capped near `maxTransitions`. */
  readonly transitions: string;
  /** The key of one replica's snapshot. */
  instance(name: string): string;
  /** The notification lock of one event (`parts`: channel, subject, transition, …). */
  notify(parts: readonly string[]): string;
}

/** The keys of `service` under `prefix`. @internal */
export function fleetKeys(prefix: string, service: string): FleetKeys {
  const base = `${prefix}:{${service}}:`;
  return {
    index: `${base}instances`,
    transitions: `${base}transitions`,
    instance: (name) => `${base}instance:${name}`,
    notify: (parts) => `${base}notify:${parts.join(':')}`,
  };
}
