import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { HealthStatus } from '../check';
import { HealthStateStore } from '../engine/health-state.store';
import { HealthScheduler } from '../engine/health.scheduler';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import {
  HEALTH_MODULE_DEFAULTS,
  type HealthHttpStatusMapping,
  type ResolvedHealthModuleOptions,
} from '../health-module-options';
import {
  toDetailsBody,
  toProbeBody,
  unknownGroupBody,
  type HealthDetailsBody,
  type HealthProbeBody,
} from './health-response';

/**
 * What the health controllers answer: bodies and status codes from the state store. A probe of
 * a group without on-demand members is answered synchronously from the snapshot; no check runs.
 *
 * @internal
 */
@Injectable()
export class HealthResponder {
  constructor(
    private readonly state: HealthStateStore,
    private readonly scheduler: HealthScheduler,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
  ) {}

  /** Answers a probe of one group; 404 for an unknown group. */
  probe(
    group: string,
    response: unknown,
  ):
    | HealthProbeBody
    | ReturnType<typeof unknownGroupBody>
    | Promise<HealthProbeBody | ReturnType<typeof unknownGroupBody>> {
    if (!this.state.group(group)) {
      this.setStatus(response, 404);
      return unknownGroupBody(group);
    }
    const refresh = this.scheduler.refreshGroup(group);
    if (refresh) return refresh.then(() => this.answerProbe(group, response));
    return this.answerProbe(group, response);
  }

  /** Answers `GET /health`: 200 with every detail. */
  details(): HealthDetailsBody | Promise<HealthDetailsBody> {
    const refresh = this.scheduler.refreshAll();
    if (refresh) return refresh.then(() => toDetailsBody(this.state.snapshot()));
    return toDetailsBody(this.state.snapshot());
  }

  private answerProbe(
    group: string,
    response: unknown,
  ): HealthProbeBody | ReturnType<typeof unknownGroupBody> {
    const state = this.state.group(group);
    if (!state) {
      this.setStatus(response, 404);
      return unknownGroupBody(group);
    }
    this.setStatus(response, this.statusCode(group, state.status));
    return toProbeBody(state);
  }

  private statusCode(group: string, status: HealthStatus): number {
    const mapping: Required<HealthHttpStatusMapping> =
      this.options.httpStatus[group] ?? HEALTH_MODULE_DEFAULTS.httpStatus;
    return mapping[status];
  }

  private setStatus(response: unknown, code: number): void {
    this.adapterHost.httpAdapter.status(response, code);
  }
}
