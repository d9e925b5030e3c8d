import { Inject, Injectable } from '@nestjs/common';
import type { HealthStatus } from '../check';
import { HealthRegistry } from '../discovery/health.registry';
import { HealthStateStore } from '../engine/health-state.store';
import type { GroupReason, HealthSnapshot, IndicatorState } from '../engine/health-state.types';
import type { HealthCheckHistorySummary } from '../history/health-history.types';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { isBuiltInIndicator } from '../indicators/core/built-in-indicator';
import {
  acceptsHealthJson,
  HEALTH_JSON_MEDIA_TYPE,
  toHealthJsonBody,
  type HealthJsonBody,
  type HealthJsonCheckInput,
} from './health-json.format';
import type { HealthResponseFormat, NegotiatedFormat } from './response-format';
import { toTerminusBody, type TerminusHealthBody } from './terminus.format';

/** A body in a format other than the module's own. @internal */
export type FormattedBody = HealthJsonBody | TerminusHealthBody;

/** What a probe answer (a group, or one check of it) says, for {@link HealthFormatter.probe}. @internal */
export interface FormattedProbe {
  readonly group: string;
  /** The status the answer reports (after `?exclude=`, or of the one check). */
  readonly status: HealthStatus;
  /** The HTTP code of the answer. */
  readonly code: number;
  readonly reason: GroupReason | null;
  readonly warnings: readonly string[];
  /** The checks shown, by name. */
  readonly checks: readonly string[];
  readonly admitted: boolean;
}

/** The Content-Type of a JSON answer, as Express and Fastify write it for an object. @internal */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The draft's `componentType` of each built-in, by its `kind`. */
const COMPONENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['sql', 'datastore'],
  ['redis', 'datastore'],
  ['event-loop', 'system'],
  ['memory', 'system'],
  ['disk', 'system'],
  ['file-descriptors', 'system'],
]);

/**
 * Chooses the format of each answer (the `format` option, and `Accept:
 * application/health+json`) and shapes the bodies of the formats other than the module's own.
 *
 * {@link negotiate} runs on every probe, so it reads one header and compares; the rest runs
 * only for answers in another format.
 *
 * @internal
 */
@Injectable()
export class HealthFormatter {
  private readonly groupFormats: ReadonlyMap<string, HealthResponseFormat>;
  private readonly fallback: HealthResponseFormat;
  private readonly detailsFormat: HealthResponseFormat;

  constructor(
    @Inject(HEALTH_RESOLVED_OPTIONS) options: ResolvedHealthModuleOptions,
    private readonly registry: HealthRegistry,
    private readonly state: HealthStateStore,
  ) {
    this.groupFormats = new Map(Object.entries(options.format.groups));
    this.fallback = options.format.fallback;
    this.detailsFormat = options.format.details;
  }

  /**
   * The format of an answer about `group` (`null` for `GET /<path>`): `'health+json'` when the
   * request's `Accept` asks for it, otherwise the configured one.
   */
  negotiate(group: string | null, request: unknown): NegotiatedFormat {
    const headers = (request as { headers?: Record<string, unknown> } | undefined)?.headers;
    return this.negotiateAccept(group, headers?.accept);
  }

  /** {@link negotiate} given the `Accept` header's value itself (`undefined` when none). */
  negotiateAccept(group: string | null, accept: unknown): NegotiatedFormat {
    if (accept !== undefined && acceptsHealthJson(accept)) return 'health+json';
    if (group === null) return this.detailsFormat;
    return this.groupFormats.get(group) ?? this.fallback;
  }

  /** The body of a probe answer in `format` (sent with {@link contentTypeOf} `format`). */
  probe(format: Exclude<NegotiatedFormat, 'default'>, answer: FormattedProbe): FormattedBody {
    const reasons = answer.reason ? [answer.reason] : [];
    const checks = answer.checks.map((name) => this.checkInput(name, answer.group));
    const passed = answer.code < 400;
    if (format === 'terminus') {
      return toTerminusBody({ passed, reasons, checks, admitted: answer.admitted });
    }
    return toHealthJsonBody({
      group: answer.group,
      status: answer.status,
      passed,
      reasons,
      warnings: answer.warnings,
      checks,
      admitted: answer.admitted,
    });
  }

  /**
   * The answer of `GET /<path>` in `format`: 503 when the overall status is down (both formats
   * tie `fail` / `error` to a 4xx-5xx code), 200 otherwise. With `history` (history on, an
   * admitted caller), `application/health+json` adds each check's uptime, `lastUp` and
   * `lastDown` (see {@link HealthJsonBody}); Terminus's shape has no room for them.
   */
  details(
    format: Exclude<NegotiatedFormat, 'default'>,
    snapshot: HealthSnapshot,
    admitted: boolean,
    history?: (name: string) => HealthCheckHistorySummary | undefined,
  ): { code: number; body: FormattedBody } {
    const code = snapshot.status === 'down' ? 503 : 200;
    const reasons = [
      ...new Set(
        Object.values(snapshot.groups).flatMap((group) => (group.reason ? [group.reason] : [])),
      ),
    ];
    const checks = Object.values(snapshot.checks).map((state) => this.withType(state));
    const passed = code < 400;
    if (format === 'terminus') {
      return { code, body: toTerminusBody({ passed, reasons, checks, admitted }) };
    }
    const body = toHealthJsonBody({
      group: null,
      status: snapshot.status,
      passed,
      reasons,
      warnings: [],
      checks: history
        ? checks.map((check) => {
            const summary = history(check.name);
            return summary ? { ...check, history: summary } : check;
          })
        : checks,
      admitted,
      at: snapshot.timestamp,
    });
    return { code, body };
  }

  /**
   * The Content-Type of an answer in `format`: `application/health+json` for the IETF draft's,
   * `application/json; charset=utf-8` (what Express and Fastify write for an object) otherwise.
   */
  contentTypeOf(format: NegotiatedFormat): string {
    return format === 'health+json' ? HEALTH_JSON_MEDIA_TYPE : JSON_CONTENT_TYPE;
  }

  private checkInput(name: string, group: string): HealthJsonCheckInput {
    const state = this.state.indicator(name);
    if (state) return this.withType(state);
    // Unregistered between reading the group and now: report what the group knew.
    return {
      name,
      status: this.state.group(group)?.checks[name]?.status ?? 'unknown',
      groups: [group],
      message: null,
      data: null,
      durationMs: null,
      lastCheckedAt: null,
      componentType: 'component',
    };
  }

  private withType(state: IndicatorState): HealthJsonCheckInput {
    const target = this.registry.get(state.name)?.target;
    const kind = isBuiltInIndicator(target) ? target.kind : '';
    return { ...state, componentType: COMPONENT_TYPES.get(kind) ?? 'component' };
  }
}
