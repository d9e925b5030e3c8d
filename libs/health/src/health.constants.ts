/**
 * Injection token of the resolved module options (defaults applied, validated).
 *
 * @internal
 */
export const HEALTH_RESOLVED_OPTIONS = Symbol('HEALTH:RESOLVED_OPTIONS');

/**
 * Injection token of the route options (`path`, `aliases`).
 *
 * @internal
 */
export const HEALTH_ROUTE_OPTIONS = Symbol('HEALTH:ROUTE_OPTIONS');
