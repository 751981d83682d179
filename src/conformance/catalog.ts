import type { PluginKind } from '../protocols/methods.js';
import { AUTHZ_CHECKS } from './checks/authz-checks.js';
import { HANDSHAKE_CHECKS } from './checks/handshake-checks.js';
import { IPAM_CHECKS } from './checks/ipam-checks.js';
import { NETWORK_CHECKS } from './checks/network-checks.js';
import { SCHEMA_CHECKS } from './checks/schema-checks.js';
import { VOLUME_CHECKS } from './checks/volume-checks.js';
import type { Check } from './types.js';

/** Every check, in run order: main checks by family, then the traffic checks that judge them. */
export const ALL_CHECKS: readonly Check[] = (() => {
  const all = [...HANDSHAKE_CHECKS, ...VOLUME_CHECKS, ...NETWORK_CHECKS, ...IPAM_CHECKS, ...AUTHZ_CHECKS, ...SCHEMA_CHECKS];
  const ids = new Set<string>();
  for (const c of all) {
    if (ids.has(c.id)) throw new Error(`duplicate check id ${c.id}`);
    ids.add(c.id);
  }
  return Object.freeze([...all.filter((c) => c.phase === 'main'), ...all.filter((c) => c.phase === 'traffic')]);
})();

/** The check that must always run: the runner's activation is what it judges. */
export const ACTIVATE_CHECK_ID = 'handshake.activate';

/** `volume.mount` selects `volume.mount` and `volume.mount.*`, not `volume.mountpoint`; `volume.` selects the family. */
export function matchesSelector(id: string, selector: string): boolean {
  if (id === selector) return true;
  if (!id.startsWith(selector)) return false;
  return selector.endsWith('.') || id[selector.length] === '.';
}

export function checksFor(kinds: readonly PluginKind[]): Check[] {
  return ALL_CHECKS.filter((c) => c.family === 'handshake' || (kinds as readonly string[]).includes(c.family));
}

/**
 * The checks a run executes. `only` narrows the main checks; the activation check and the traffic
 * checks always run, because they judge whatever traffic the selected checks produced.
 */
export function selectChecks(kinds: readonly PluginKind[], only: readonly string[] = []): Check[] {
  return checksFor(kinds).filter((c) => only.length === 0 || c.id === ACTIVATE_CHECK_ID || c.phase === 'traffic' || only.some((s) => matchesSelector(c.id, s)));
}
