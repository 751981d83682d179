import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PluginUpstream } from '../config/config.js';

/**
 * Where plugchain reaches a volume driver to prepare a volume: the same way dockerd does, so the
 * call goes through the plugin side (a configured plugin's shim records and validates it).
 * 1. a plugin in `config.plugins` whose alias (or name) is the driver → its shim socket;
 * 2. `<pluginDir>/<driver>.sock` (a legacy plugin dockerd discovers there);
 * 3. `<pluginDir>/<driver>.spec` (one line: unix:// or tcp:// address).
 */
export function volumeDriverAddress(driver: string, pluginDir: string, plugins: readonly PluginUpstream[]): string {
  const configured = plugins.find((p) => (p.alias ?? p.name) === driver);
  if (configured) return `unix://${join(pluginDir, `${driver}.sock`)}`;
  const sock = join(pluginDir, `${driver}.sock`);
  if (existsSync(sock)) return `unix://${sock}`;
  const spec = join(pluginDir, `${driver}.spec`);
  if (existsSync(spec)) return readFileSync(spec, 'utf8').trim();
  throw new Error(`volume driver ${driver} not found (no shim in the config, no ${sock}, no ${spec})`);
}
