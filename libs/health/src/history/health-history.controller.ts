import {
  Controller,
  Get,
  Header,
  NotFoundException,
  Param,
  Query,
  Req,
  Res,
  VERSION_NEUTRAL,
  type Type,
} from '@nestjs/common';
import { HealthDetailsPolicy } from '../details/health-details.policy';
import type { HealthDetailsTarget } from '../details/http-execution-context';
import { HealthQueryPipe } from '../answers/health-query.pipe';
import { shownName } from '../answers/health-response';
import { HealthHistoryQuery } from './health-history.query';
import { HealthHistory } from './health-history.service';
import type {
  HealthGroupHistoryBody,
  HealthHistoryBody,
  HealthHistoryWindow,
  HealthIndicatorHistoryBody,
} from './health-history.types';

const HISTORY_QUERY = new HealthQueryPipe(HealthHistoryQuery);

/** The window a validated query asks for; `1h` without one. */
function windowOf(query: object): HealthHistoryWindow {
  return (query as HealthHistoryQuery).window ?? '1h';
}

/**
 * Builds the history controller for one module instance (`GET /<path>/history`,
 * `GET /<path>/history/:indicator` and `GET /<path>/history/group/:name`). `forRoot` adds it only when history is on (the default);
 * with `forRootAsync` it is always added and answers 404 when history is off.
 *
 * Who sees what follows `GET /<path>`: every caller gets 200, and a caller the details policy
 * does not admit gets `details: "withheld"` and each indicator's and group's status and streak
 * only — no uptime, transitions, messages or buckets.
 *
 * @internal
 */
export function createHistoryController(path: string): Type {
  @Controller({ path, version: VERSION_NEUTRAL })
  class HealthHistoryController {
    constructor(
      private readonly history: HealthHistory,
      private readonly policy: HealthDetailsPolicy,
    ) {}

    /**
     * Every indicator's and group's history over `?window=` (`1h`, the default, or `24h`): 400
     * for another window, 404 when history is off. Reads memory; never runs a check.
     */
    @Get('history')
    @Header('Cache-Control', 'no-store')
    async allHistory(
      @Query(HISTORY_QUERY) query: object,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ): Promise<HealthHistoryBody> {
      if (!this.history.enabled) throw new NotFoundException(`Cannot GET /${path}/history`);
      const admitted = await this.policy.admits(request, ALL_TARGET, response);
      return this.history.all(windowOf(query), admitted)!;
    }

    /** One indicator's history over `?window=`; 404 for an unknown indicator or history off. */
    @Get('history/:indicator')
    @Header('Cache-Control', 'no-store')
    async indicatorHistory(
      @Param('indicator') indicator: string,
      @Query(HISTORY_QUERY) query: object,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ): Promise<HealthIndicatorHistoryBody> {
      if (!this.history.enabled) {
        throw new NotFoundException(`Cannot GET /${path}/history/${shownName(indicator)}`);
      }
      const unknown = () =>
        new NotFoundException(`No health check is named "${shownName(indicator)}".`);
      if (!this.history.has(indicator)) throw unknown();
      const admitted = await this.policy.admits(request, ONE_TARGET, response);
      const body = this.history.indicator(indicator, windowOf(query), admitted);
      if (!body) throw unknown(); // unregistered meanwhile
      return body;
    }

    /**
     * One group's history over `?window=` (the same shape as an indicator's, without runs,
     * failures, latency or messages): 404 for a group the store does not have or history off,
     * 400 for another window.
     */
    @Get('history/group/:name')
    @Header('Cache-Control', 'no-store')
    async groupHistory(
      @Param('name') name: string,
      @Query(HISTORY_QUERY) query: object,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ): Promise<HealthGroupHistoryBody> {
      if (!this.history.enabled) {
        throw new NotFoundException(`Cannot GET /${path}/history/group/${shownName(name)}`);
      }
      const unknown = () => new NotFoundException(`No health group is named "${shownName(name)}".`);
      if (!this.history.hasGroup(name)) throw unknown();
      const admitted = await this.policy.admits(request, GROUP_TARGET, response);
      const body = this.history.group(name, windowOf(query), admitted);
      if (!body) throw unknown();
      return body;
    }
  }
  // The routes, for a guard given as `authorize` that reads route metadata.
  const ALL_TARGET: HealthDetailsTarget = {
    controller: HealthHistoryController,
    handler: Reflect.get(HealthHistoryController.prototype, 'allHistory'),
  };
  const ONE_TARGET: HealthDetailsTarget = {
    controller: HealthHistoryController,
    handler: Reflect.get(HealthHistoryController.prototype, 'indicatorHistory'),
  };
  const GROUP_TARGET: HealthDetailsTarget = {
    controller: HealthHistoryController,
    handler: Reflect.get(HealthHistoryController.prototype, 'groupHistory'),
  };
  return HealthHistoryController;
}
