export {
  terminusIndicator,
  type TerminusIndicatorFunction,
  type TerminusIndicatorOptions,
  type TerminusIndicatorResult,
} from './terminus.health';
