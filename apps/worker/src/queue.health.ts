import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import {
  bullmqIndicator,
  HealthIndicator,
  type BuiltInIndicator,
  type HealthCheckContext,
  type HealthIndicatorCheck,
} from 'nest-health';
import { WORK_QUEUE } from './work-queue';

/**
 * The worker's readiness: its queue's Redis answers and a worker (this one) is connected,
 * through the library's built-in `bullmqIndicator`. Down when Redis is not.
 */
@HealthIndicator({ name: 'queue', groups: ['readiness'] })
export class QueueHealth implements HealthIndicatorCheck {
  private readonly builtIn: BuiltInIndicator;

  constructor(@InjectQueue(WORK_QUEUE) queue: Queue) {
    this.builtIn = bullmqIndicator(queue, { requireWorker: true });
    // The queue re-emits its connection's errors; the check reports them.
    queue.on('error', () => undefined);
  }

  check(context: HealthCheckContext) {
    return this.builtIn.check(context);
  }
}
