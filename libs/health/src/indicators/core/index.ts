export {
  isBuiltInIndicator,
  BuiltInHealthIndicator,
  prepareOptions,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
} from './built-in-indicator';
export {
  Findings,
  IsLowerThreshold,
  IsUpperThreshold,
  round2,
  type LowerThreshold,
  type UpperThreshold,
} from './thresholds';
export { abortable, abortReason, elapsedMs, noop, onAbort, toError } from './abortable';
export { loadOptionalPeer } from './optional-peer';
export { hasMethods, kindOf, requireArgument } from './positional';
