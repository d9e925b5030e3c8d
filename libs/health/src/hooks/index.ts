export {
  OnHealthChange,
  type HealthChangeFilter,
  type HealthChangeHookFilter,
} from './on-health-change.decorator';
export { InvalidHealthChangeHookError } from './health-change-hook.error';
