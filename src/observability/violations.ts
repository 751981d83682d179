import { EventEmitter } from 'node:events';
import type { Violation } from '../schemas/registry.js';

/** Where a violation was seen. */
export type ViolationSide = 'engine' | 'plugin-request' | 'plugin-response';

export interface ViolationEvent {
  side: ViolationSide;
  message: string;
  rule: string;
  pointer: string;
}

/**
 * Schema violations as events, for whoever counts them (metrics, tests). Emitting is free when
 * nobody listens.
 */
export const violationEvents = new EventEmitter<{ violation: [ViolationEvent] }>();

export function noteViolations(side: ViolationSide, message: string, violations: readonly Violation[]): void {
  if (violationEvents.listenerCount('violation') === 0) return;
  for (const v of violations) violationEvents.emit('violation', { side, message, rule: v.rule.split(':')[0]!, pointer: v.pointer });
}
