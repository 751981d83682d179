import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { defaultConfig, type PlugchainConfig } from '../../src/config/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { silentLogger } from '../../src/logging/logger.js';

/** Starts an in-process plugchain in front of the test daemon on a fresh unix socket. */
export async function startProxy(overrides: Partial<PlugchainConfig> = {}): Promise<RunningServer & { host: string }> {
  const dir = mkdtempSync(join(inject('runDir'), 'px-'));
  const config: PlugchainConfig = {
    ...defaultConfig(),
    listen: [`unix://${join(dir, 'p.sock')}`],
    upstream: inject('dockerHost'),
    stateDir: dir,
    logLevel: 'silent',
    ...overrides,
  };
  const server = await startServer(config, { logger: silentLogger });
  return Object.assign(server, { host: server.listeners[0]!.dockerHost });
}
