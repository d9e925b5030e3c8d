import { Inject, Injectable } from '@nestjs/common';
import type { HealthStatus } from '../check';
import { HealthStateStore } from '../engine/health-state.store';
import { HealthScheduler } from '../engine/health.scheduler';
import type { GroupState } from '../engine/health-state.types';
import { JSON_CONTENT_TYPE, HealthFormatter } from '../formats/health-formatter';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import { httpStatusFor, type ResolvedHealthModuleOptions } from '../health-module-options';
import { HealthHistory } from '../history/health-history.service';
import { HealthProcessFacts } from './process-facts';
import { FreshRuns } from './fresh-runs';
import {
  NO_STORE_HEADERS,
  type DetailsAnswerQuery,
  type HealthAnswer,
  type HealthCaller,
  type ProbeAnswerQuery,
} from './health-answer';
import type { HealthProbeQuery } from './health-probe.query';
import { toDetailsBody, toProbeBody, unknownCheckBody, unknownGroupBody } from './health-response';
import { PROBE_CONTENT_TYPE, ProbeBodyCache } from './probe-body.cache';
import { memberStatus, probeTitle, unmatchedWarning, viewGroup } from './probe-view';
import { formatVerbose, type VerboseAnswer, type VerboseCheck } from './verbose-answer';

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...NO_STORE_HEADERS,
  'Content-Type': JSON_CONTENT_TYPE,
});
const PROBE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...NO_STORE_HEADERS,
  'Content-Type': PROBE_CONTENT_TYPE,
});
const TEXT_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...NO_STORE_HEADERS,
  'Content-Type': 'text/plain; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
});

/**
 * The answers of the health endpoints, transport-neutral: a route (a group, one check of a
 * group, the details), the parsed query and what is known of the caller in; status code, headers
 * and body out ({@link HealthAnswer}). The Nest routes (`http/`), the fast path (`fast-path/`)
 * and the probe port (`servers/`) all answer through it, so that an answer is the same on every
 * transport.
 *
 * A probe without query parameters is answered synchronously from the snapshot, as cheaply as a
 * constant route (unless its group has on-demand members): no check runs and the details policy
 * is not asked; its body is serialized once per state ({@link ProbeBodyCache}). Only `?verbose`,
 * `?fresh`, another format and `GET /<path>` ask the caller's {@link HealthCaller.admitted}.
 *
 * @internal
 */
@Injectable()
export class HealthAnswers {
  private readonly freshRuns: FreshRuns;

  constructor(
    private readonly state: HealthStateStore,
    private readonly scheduler: HealthScheduler,
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
    private readonly formatter: HealthFormatter,
    private readonly bodies: ProbeBodyCache,
    private readonly history: HealthHistory,
    private readonly processFacts: HealthProcessFacts,
  ) {
    this.freshRuns = new FreshRuns(options.freshMinIntervalMs);
  }

  /**
   * Whether a probe of `group` without query parameters is a plain one: the group exists and
   * `caller` gets the module's own format. The fast path answers only those.
   */
  isPlain(group: string, caller: Pick<HealthCaller, 'headers'>): boolean {
    return (
      this.state.group(group) !== undefined && this.formatter.negotiate(group, caller) === 'default'
    );
  }

  /**
   * The answer to a plain probe of `group` (no query string, the module's own format), when it
   * can be given at once: `undefined` when the group does not exist, the caller's `Accept`
   * header asks for another format, or the group has on-demand members to refresh first. The
   * short way of the probe port and the fast path: no caller object, no promise.
   *
   * @param accept - the request's `Accept` header, `undefined` for none.
   */
  plainProbe(group: string, accept: string | undefined): HealthAnswer | undefined {
    const state = this.state.group(group);
    if (state === undefined || this.formatter.negotiateAccept(group, accept) !== 'default') {
      return undefined;
    }
    if (this.scheduler.hasOnDemand(group)) return undefined;
    return this.plainText(group, state);
  }

  /**
   * Answers a probe of one group; 404 for an unknown group.
   *
   * @param asObject - for a plain probe, give the body as an object rather than as text (for a
   *   Nest route whose interceptors expect to see one).
   */
  probe(
    group: string,
    query: ProbeAnswerQuery,
    caller: HealthCaller,
    asObject = false,
  ): HealthAnswer | Promise<HealthAnswer> {
    if (!this.state.group(group)) return notFound(unknownGroupBody(group));
    if (query === undefined && this.formatter.negotiate(group, caller) === 'default') {
      const refresh = this.scheduler.refreshGroup(group);
      if (refresh) return refresh.then(() => this.plainGroup(group, asObject));
      return this.plainGroup(group, asObject);
    }
    const probeQuery = query ?? {};
    return this.prepare(probeQuery, caller, group, undefined, (admitted) =>
      this.answerGroup(group, probeQuery, admitted, caller),
    );
  }

  /** Answers for one check of a group (`/<path>/ready/:check`); 404 for an unknown one. */
  probeCheck(
    group: string,
    check: string,
    query: ProbeAnswerQuery,
    caller: HealthCaller,
  ): HealthAnswer | Promise<HealthAnswer> {
    const state = this.state.group(group);
    if (!state) return notFound(unknownGroupBody(group));
    if (!Object.prototype.hasOwnProperty.call(state.checks, check)) {
      return notFound(unknownCheckBody(group, check));
    }
    const probeQuery = query ?? {};
    return this.prepare(probeQuery, caller, group, check, (admitted) =>
      this.answerCheck(group, check, probeQuery, admitted, caller),
    );
  }

  /**
   * Answers `GET /<path>`: 200 with every detail the caller is admitted to (in another format:
   * 503 when down).
   */
  details(query: DetailsAnswerQuery, caller: HealthCaller): HealthAnswer | Promise<HealthAnswer> {
    const fresh = query?.fresh === true;
    return then(caller.admitted(), (admitted) =>
      then(
        admitted && fresh
          ? this.runFresh('*', () => this.allChecks())
          : this.scheduler.refreshAll(),
        () => this.detailsAnswer(admitted, caller),
      ),
    );
  }

  /**
   * The answer of a plain probe of `group` as it stands (without refreshing on-demand members),
   * its body serialized once per state; 404 when the group does not exist.
   */
  plainGroup(group: string, asObject = false): HealthAnswer {
    const state = this.state.group(group);
    if (!state) return notFound(unknownGroupBody(group));
    if (asObject) {
      const statusCode = this.statusCode(group, state.status);
      return { statusCode, headers: JSON_HEADERS, body: toProbeBody(state) };
    }
    return this.plainText(group, state);
  }

  /** A plain probe's answer for `state` of `group`, its body from the cache. */
  private plainText(group: string, state: GroupState): HealthAnswer {
    const { body, byteLength } = this.bodies.render(state);
    return {
      statusCode: this.statusCode(group, state.status),
      headers: PROBE_HEADERS,
      body,
      byteLength,
    };
  }

  private detailsAnswer(
    admitted: boolean,
    caller: HealthCaller,
  ): HealthAnswer | Promise<HealthAnswer> {
    const snapshot = this.state.snapshot();
    const format = this.formatter.negotiate(null, caller);
    const history = (now: number) =>
      admitted && this.history.enabled
        ? (name: string) => this.history.summary(name, now)
        : undefined;
    if (format === 'default') {
      if (!admitted) {
        return { statusCode: 200, headers: JSON_HEADERS, body: toDetailsBody(snapshot, admitted) };
      }
      // The container facts (CPU, cgroup memory) are read at most once a second, whoever asks.
      return this.processFacts.read().then((container) => ({
        statusCode: 200,
        headers: JSON_HEADERS,
        body: toDetailsBody(snapshot, admitted, history(Date.now()), container),
      }));
    }
    const { code, body } = this.formatter.details(format, snapshot, admitted, history(Date.now()));
    return { statusCode: code, headers: this.formattedHeaders(format), body };
  }

  /**
   * Asks the policy when the query needs it (`verbose`, `fresh`, another format), runs the
   * checks for an admitted `?fresh=true` (or refreshes on-demand members as any probe does),
   * then answers.
   */
  private prepare(
    query: HealthProbeQuery,
    caller: HealthCaller,
    group: string,
    check: string | undefined,
    answer: (admitted: boolean) => HealthAnswer,
  ): HealthAnswer | Promise<HealthAnswer> {
    const needsPolicy =
      query.verbose === true ||
      query.fresh === true ||
      this.formatter.negotiate(group, caller) !== 'default';
    const decision = needsPolicy ? caller.admitted() : false;
    return then(decision, (admitted) => {
      let run: Promise<void> | undefined;
      if (!admitted || query.fresh !== true) run = this.scheduler.refreshGroup(group);
      else if (check === undefined) run = this.runFresh(group, () => this.membersOf(group));
      else run = this.runFresh(`${group}/${check}`, () => [check]);
      return then(run, () => answer(admitted));
    });
  }

  /**
   * Runs the checks `names()` names now, through the scheduler's single-flight (a run already
   * in flight is shared), at most once per `freshMinIntervalMs` per key.
   */
  private runFresh(key: string, names: () => readonly string[]): Promise<void> | undefined {
    return this.freshRuns.run(key, async () => {
      await Promise.all(names().map((name) => this.scheduler.runNow(name)));
    });
  }

  private membersOf(group: string): string[] {
    return Object.keys(this.state.group(group)?.checks ?? {});
  }

  private allChecks(): string[] {
    return Object.keys(this.state.snapshot().checks);
  }

  private answerGroup(
    group: string,
    query: HealthProbeQuery,
    admitted: boolean,
    caller: HealthCaller,
  ): HealthAnswer {
    const state = this.state.group(group);
    if (!state) return notFound(unknownGroupBody(group));
    const { exclude, verbose } = query;
    const view = viewGroup(state, exclude, (name) => this.isCritical(name));
    const warnings = view.unmatched.length > 0 ? [unmatchedWarning(view.unmatched)] : [];
    const statusCode = this.statusCode(group, view.status);
    if (verbose) {
      const excluded = new Set(view.excluded);
      return verboseAnswer(statusCode, {
        group,
        title: probeTitle(group),
        passed: statusCode < 400,
        reason: view.reason,
        warnings,
        admitted,
        checks: Object.keys(state.checks).map((name) => this.verboseCheck(name, state, excluded)),
      });
    }
    const format = this.formatter.negotiate(group, caller);
    if (format !== 'default') {
      const checks = Object.keys(view.checks);
      const answer = { group, status: view.status, code: statusCode, reason: view.reason };
      const body = this.formatter.probe(format, { ...answer, warnings, checks, admitted });
      return { statusCode, headers: this.formattedHeaders(format), body };
    }
    const body = toProbeBody(state, { status: view.status, checks: view.checks, warnings });
    return { statusCode, headers: JSON_HEADERS, body };
  }

  private answerCheck(
    group: string,
    check: string,
    query: HealthProbeQuery,
    admitted: boolean,
    caller: HealthCaller,
  ): HealthAnswer {
    const state = this.state.group(group);
    const indicator = this.state.indicator(check);
    if (!state || !indicator || !Object.prototype.hasOwnProperty.call(state.checks, check)) {
      return notFound(unknownCheckBody(group, check));
    }
    const status = memberStatus(group, indicator.status, indicator.critical);
    const statusCode = this.statusCode(group, status);
    if (query.verbose) {
      return verboseAnswer(statusCode, {
        group,
        title: check,
        passed: statusCode < 400,
        reason: null,
        warnings: [],
        admitted,
        checks: [this.verboseCheck(check, state, new Set())],
      });
    }
    const format = this.formatter.negotiate(group, caller);
    if (format !== 'default') {
      const answer = { group, status, code: statusCode, reason: null, warnings: [] };
      const body = this.formatter.probe(format, { ...answer, checks: [check], admitted });
      return { statusCode, headers: this.formattedHeaders(format), body };
    }
    const body = toProbeBody(state, {
      status,
      check,
      checks: { [check]: { status: indicator.status } },
    });
    return { statusCode, headers: JSON_HEADERS, body };
  }

  private formattedHeaders(
    format: Parameters<HealthFormatter['contentTypeOf']>[0],
  ): Readonly<Record<string, string>> {
    const contentType = this.formatter.contentTypeOf(format);
    return contentType === JSON_CONTENT_TYPE
      ? JSON_HEADERS
      : { ...NO_STORE_HEADERS, 'Content-Type': contentType };
  }

  private verboseCheck(
    name: string,
    group: GroupState,
    excluded: ReadonlySet<string>,
  ): VerboseCheck {
    const indicator = this.state.indicator(name);
    return {
      name,
      status: indicator?.status ?? group.checks[name]?.status ?? 'unknown',
      critical: indicator?.critical ?? true,
      message: indicator?.message ?? null,
      excluded: excluded.has(name),
      joining: this.state.isJoining(name),
    };
  }

  private isCritical(name: string): boolean {
    return this.state.indicator(name)?.critical ?? true;
  }

  private statusCode(group: string, status: HealthStatus): number {
    return httpStatusFor(this.options, group, status);
  }
}

function verboseAnswer(statusCode: number, answer: VerboseAnswer): HealthAnswer {
  return { statusCode, headers: TEXT_HEADERS, body: formatVerbose(answer) };
}

/** A 404 answer with `body` (an unknown group or check, a route that does not exist). @internal */
export function notFound(body: object): HealthAnswer {
  return { statusCode: 404, headers: JSON_HEADERS, body };
}

/** Applies `next` to a value or a promise of it, staying synchronous for a plain value. */
function then<T, R>(
  value: T | Promise<T> | undefined,
  next: (value: T) => R | Promise<R>,
): R | Promise<R> {
  if (value instanceof Promise) return value.then(next);
  return next(value as T);
}
