import { HealthIndicator, down, up, type HealthIndicatorCheck } from 'nest-health';

/**
 * An indicator of the app's own, found by the library's discovery like any user's. The check
 * turns it off and on to watch readiness and the stream follow.
 */
@HealthIndicator({ name: 'switch', intervalMs: 100 })
export class SwitchableHealth implements HealthIndicatorCheck {
  private on = true;

  /** Turns the indicator up (`true`) or down (`false`) from its next run on. */
  turn(on: boolean): void {
    this.on = on;
  }

  check() {
    return this.on ? up({ switchedOn: true }) : down('switched off');
  }
}
