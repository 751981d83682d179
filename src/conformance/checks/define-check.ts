import type { Check } from '../types.js';

type CheckSpec = Omit<Check, 'phase'> & { phase?: Check['phase'] };

/** Checks are data: one frozen record each, validated when the catalog is built. */
export function defineCheck(spec: CheckSpec): Check {
  if (!/^[a-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(spec.id)) throw new Error(`bad check id "${spec.id}"`);
  if (!spec.rule || !spec.source) throw new Error(`check ${spec.id} must name its rule and source`);
  return Object.freeze({ phase: 'main', ...spec });
}

/** Digest cited by every check. */
export const DIGEST = 'plugin-protocols.md';
