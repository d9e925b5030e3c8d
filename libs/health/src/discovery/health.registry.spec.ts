import { up, type HealthIndicatorCheck } from '../check';
import {
  DuplicateHealthIndicatorError,
  InvalidHealthIndicatorOptionsError,
  MissingHealthCheckMethodError,
} from '../errors';
import { resolveHealthModuleOptions } from '../health-module-options';
import { HealthRegistry, type HealthRegistryEvent } from './health.registry';

class PaymentsHealthIndicator implements HealthIndicatorCheck {
  check() {
    return up();
  }
}

describe('HealthRegistry', () => {
  let registry: HealthRegistry;

  beforeEach(() => {
    registry = new HealthRegistry(resolveHealthModuleOptions({}));
  });

  it('applies the module defaults to an indicator without options', () => {
    const indicator = new PaymentsHealthIndicator();
    const definition = registry.register(indicator);
    expect(definition.target).toBe(indicator);
    expect(definition).toEqual({
      name: 'payments',
      groups: ['readiness'],
      critical: true,
      mode: 'background',
      timeoutMs: 1_000,
      intervalMs: 5_000,
      failureThreshold: 1,
      successThreshold: 1,
      cacheTtlMs: 1_000,
      check: expect.any(Function),
      source: 'PaymentsHealthIndicator',
      target: indicator,
    });
    expect(Object.isFrozen(definition)).toBe(true);
    expect(Object.isFrozen(definition.groups)).toBe(true);
  });

  it("lets the indicator's options win over the module defaults", () => {
    registry = new HealthRegistry(
      resolveHealthModuleOptions({ defaults: { intervalMs: 10_000, timeoutMs: 200 } }),
    );
    const definition = registry.register(() => up(), {
      name: 'db',
      timeoutMs: 500,
      groups: ['readiness', 'startup'],
      critical: false,
      mode: 'on-demand',
      cacheTtlMs: 0,
      intervalMs: undefined,
    });
    expect(definition).toMatchObject({
      timeoutMs: 500,
      intervalMs: 10_000,
      groups: ['readiness', 'startup'],
      critical: false,
      mode: 'on-demand',
      cacheTtlMs: 0,
    });
  });

  it('puts an indicator with an empty group list in readiness', () => {
    expect(registry.register(() => up(), { name: 'db', groups: [] }).groups).toEqual(['readiness']);
  });

  it('calls the check of an object with the object as this', async () => {
    class Counter implements HealthIndicatorCheck {
      calls = 0;
      check() {
        this.calls += 1;
        return up();
      }
    }
    const counter = new Counter();
    const definition = registry.register(counter, { name: 'counter' });
    const signal = new AbortController().signal;
    await definition.check({ signal, name: 'counter', timeoutMs: 1_000 });
    expect(counter.calls).toBe(1);
  });

  it('throws InvalidHealthIndicatorOptionsError naming "name" for a function without a name', () => {
    expect(() => registry.register(() => up())).toThrow(InvalidHealthIndicatorOptionsError);
    expect(() => registry.register(() => up(), { groups: ['tenants'] })).toThrow(
      /"name" is undefined: is required when registering a function/,
    );
    expect(registry.list()).toEqual([]);
  });

  it('throws InvalidHealthIndicatorOptionsError naming "name" for a plain object without a name', () => {
    expect(() => registry.register({ check: () => up() })).toThrow(
      /"name" is undefined: is required when registering a function or a plain object/,
    );
    expect(registry.register({ check: () => up() }, { name: 'plain' }).name).toBe('plain');
  });

  it('throws MissingHealthCheckMethodError for an object without check', () => {
    expect(() => registry.register({} as HealthIndicatorCheck, { name: 'x' })).toThrow(
      MissingHealthCheckMethodError,
    );
    expect(() => registry.register(null as unknown as HealthIndicatorCheck)).toThrow(
      MissingHealthCheckMethodError,
    );
  });

  it('throws InvalidHealthIndicatorOptionsError for invalid options, naming the source', () => {
    let error: unknown;
    try {
      registry.register(() => up(), { name: 'db', timeoutMs: -1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidHealthIndicatorOptionsError);
    expect((error as InvalidHealthIndicatorOptionsError).problems).toEqual([
      {
        option: 'timeoutMs',
        value: -1,
        allowed: 'must be an integer from 1 to 300000 (milliseconds)',
      },
    ]);
    expect((error as Error).message).toBe(
      'Invalid health indicator options on HealthRegistry.register(function named "db"):\n' +
        '  - "timeoutMs" is -1: must be an integer from 1 to 300000 (milliseconds)',
    );
  });

  it('throws DuplicateHealthIndicatorError for a name already taken', () => {
    registry.register(new PaymentsHealthIndicator());
    expect(() => registry.register(() => up(), { name: 'payments' })).toThrow(
      DuplicateHealthIndicatorError,
    );
    expect(() => registry.register(() => up(), { name: 'payments' })).toThrow(
      /PaymentsHealthIndicator/,
    );
  });

  it('says which indicator came first, and advises a name for a run-time registration', () => {
    registry.register(() => up(), { name: 'tenant' });
    expect(() => registry.register(() => up(), { name: 'tenant' })).toThrow(
      'Two health indicators are named "tenant": HealthRegistry.register(function named "tenant") and ' +
        'HealthRegistry.register(function named "tenant"). Give one of them another name with ' +
        "@HealthIndicator({ name: '...' }) (or the name option of HealthRegistry.register).",
    );
  });

  it('says "two instances of one class" when the same class is registered twice', () => {
    registry.register(new PaymentsHealthIndicator());
    expect(() => registry.register(new PaymentsHealthIndicator())).toThrow(
      /^Two health indicators are named "payments": PaymentsHealthIndicator and PaymentsHealthIndicator, two instances of one class, .* Register one instance, or give the second another name/,
    );
  });

  it('emits added and removed events, and frees the name on unregister', () => {
    const events: HealthRegistryEvent[] = [];
    registry.events.subscribe((event) => events.push(event));

    const definition = registry.register(() => up(), { name: 'tenant-1' });
    expect(registry.unregister('tenant-1')).toBe(true);
    expect(registry.unregister('tenant-1')).toBe(false);
    registry.register(() => up(), { name: 'tenant-1' });

    expect(events.map((e) => e.type)).toEqual(['added', 'removed', 'added']);
    expect(events[0].definition).toBe(definition);
  });

  it('lists indicators in registration order', () => {
    registry.register(() => up(), { name: 'b' });
    registry.register(() => up(), { name: 'a' });
    expect(registry.list().map((d) => d.name)).toEqual(['b', 'a']);
    expect(registry.get('a')?.name).toBe('a');
    expect(registry.get('c')).toBeUndefined();
  });
});
