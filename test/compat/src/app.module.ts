import { Module } from '@nestjs/common';
import { HealthModule } from 'nest-health';
import { SwitchableHealth } from './switchable.health.js';

/** A NestJS 12 app as a user writes it: the module, and one indicator of its own. */
@Module({
  imports: [
    HealthModule.forRoot({
      defaults: { intervalMs: 100, timeoutMs: 1_000 },
      metrics: {}, // GET /health/metrics, with prom-client from this app's node_modules
    }),
  ],
  providers: [SwitchableHealth],
})
export class AppModule {}
