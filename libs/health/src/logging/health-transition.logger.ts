import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { HealthStateStore } from '../engine/health-state.store';
import type { HealthChangeEvent } from '../engine/health-state.types';
import { redactSecrets } from '../engine/sanitize';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';

/**
 * Logs each effective transition once, through Nest's `Logger` with the context
 * `HealthModule`: a warning when an indicator or group gets worse, a log line when it recovers.
 * A check that keeps failing logs nothing more: only transitions are logged.
 *
 * @internal
 */
@Injectable()
export class HealthTransitionLogger implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('HealthModule');
  private subscription?: Subscription;

  constructor(
    private readonly state: HealthStateStore,
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
  ) {}

  onModuleInit(): void {
    if (!this.options.logger) return;
    this.subscription = this.state.changes.subscribe((change) => this.log(change));
  }

  /**
   * Stops logging. Not earlier (`onModuleDestroy`): the shutdown's own transitions (readiness
   * down, `shutting_down`) and those during the shutdown delay are logged too.
   */
  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  private log(change: HealthChangeEvent): void {
    const subject = change.type === 'group' ? `group ${change.name}` : change.name;
    let line = `${subject}: ${change.previous} → ${change.current}`;
    if (change.type === 'indicator') {
      const took = change.durationMs === null ? null : `check took ${change.durationMs} ms`;
      const details = [change.message, took].filter(Boolean).join('; ');
      if (details) line += ` (${details})`;
    } else if (change.reason) {
      line += ` (${change.reason})`;
    }
    // Messages are redacted when recorded; redacting the line again costs nothing per probe
    // (transitions only) and keeps a secret out of the logs whatever produced the message.
    line = redactSecrets(line);
    if (change.current === 'down' || change.current === 'degraded') this.logger.warn(line);
    else this.logger.log(line);
  }
}
