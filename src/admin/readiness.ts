import http from 'node:http';
import https from 'node:https';
import type { DaemonTarget } from '../upstream/daemon-target.js';
import type { PluginClient } from '../shim/plugin-client.js';

export interface Readiness {
  ready: boolean;
  /** Why not ready (or what answered). */
  reason: string;
}

export type ReadinessCheck = () => Promise<Readiness>;

/** Ready when the daemon answers `GET /_ping` with 200 within `timeoutMs`. */
export function daemonReadiness(target: DaemonTarget, timeoutMs = 2_000): ReadinessCheck {
  return () => new Promise<Readiness>((resolve) => {
    const where = target.address.url;
    const lib = target.isTls ? https : http;
    const req = lib.request({
      ...target.requestTarget(),
      agent: target.agent,
      method: 'GET',
      path: '/_ping',
      headers: { host: target.hostHeader() },
      timeout: timeoutMs,
    }, (res) => {
      res.resume();
      resolve(res.statusCode === 200
        ? { ready: true, reason: `daemon at ${where} answered /_ping` }
        : { ready: false, reason: `daemon at ${where} answered /_ping with HTTP ${res.statusCode}` });
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', (err) => resolve({ ready: false, reason: `daemon at ${where} unreachable: ${err.message}` }));
    req.end();
  });
}

/** Ready when the upstream plugin answers `Plugin.Activate` with 200 (managed plugins may 404 it). */
export function pluginReadiness(client: PluginClient, timeoutMs = 2_000): ReadinessCheck {
  return async () => {
    const where = client.address.url;
    try {
      const reply = await client.call('Plugin.Activate', Buffer.alloc(0), {}, AbortSignal.timeout(timeoutMs));
      return reply.status === 200 || reply.status === 404
        ? { ready: true, reason: `plugin at ${where} answered` }
        : { ready: false, reason: `plugin at ${where} answered Plugin.Activate with HTTP ${reply.status}` };
    } catch (err) {
      return { ready: false, reason: `plugin at ${where} unreachable: ${(err as Error).message}` };
    }
  };
}
