import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PluginShim } from '../../src/shim/plugin-shim.js';
import { HookChain } from '../../src/chain/runner.js';
import { validatePluginHook } from '../../src/hooks/validate-plugin.js';
import { silentLogger } from '../../src/logging/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'pcsu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function post(socketPath: string, path: string, body = ''): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, method: 'POST', agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function startUpstream(path: string, counter: { activations: number }) {
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/Plugin.Activate') counter.activations++;
      res.end(JSON.stringify(req.url === '/Plugin.Activate' ? { Implements: ['VolumeDriver'] } : { Volumes: [] }));
    });
  });
  return new Promise<http.Server>((r) => srv.listen(path, () => r(srv)));
}

describe('plugin shim towards its upstream plugin', () => {
  it('caches the activation, drops dockerd\'s connection while the plugin is gone, and serves again when it is back', async () => {
    const upstreamSock = join(dir, 'real.sock');
    const counter = { activations: 0 };
    let upstream = await startUpstream(upstreamSock, counter);
    const shim = new PluginShim({
      plugin: { name: 'real', address: `unix://${upstreamSock}`, alias: 'cached' },
      pluginDir: dir,
      chain: new HookChain([validatePluginHook('enforce')]),
      logger: silentLogger,
    });
    await shim.start();
    try {
      expect(await post(shim.socketPath, '/Plugin.Activate')).toEqual({ status: 200, text: '{"Implements":["VolumeDriver"]}' });
      expect((await post(shim.socketPath, '/Plugin.Activate')).status).toBe(200);
      expect(counter.activations).toBe(1); // answered from the cache, as dockerd caches it

      await new Promise<void>((r) => upstream.close(() => r()));
      upstream.closeAllConnections();
      // Not an HTTP answer: a connection-level failure, which dockerd retries with backoff.
      await expect(post(shim.socketPath, '/VolumeDriver.List', '{}')).rejects.toThrow(/socket hang up|ECONNRESET/);

      upstream = await startUpstream(upstreamSock, counter);
      expect(await post(shim.socketPath, '/VolumeDriver.List', '{}')).toEqual({ status: 200, text: '{"Volumes":[]}' });
      // The cache was dropped with the failure: the plugin that came back is activated again.
      expect((await post(shim.socketPath, '/Plugin.Activate')).status).toBe(200);
      expect(counter.activations).toBe(2);
    } finally {
      await shim.close();
      upstream.close();
    }
  });
});
