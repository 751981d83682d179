import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { docker, dockerOk, uniqueName } from '../harness/docker-cli.js';
import { startProxy } from '../harness/proxy.js';
import type { RunningServer } from '../../src/server/start-server.js';
import { metrics as moveMetrics } from '../../src/admin/moves.js';
import { METRIC_NAMES as M } from '../../src/admin/metrics.js';
import { httpCall, metricValue, scrape, waitFor } from './admin-http.js';

let proxy: RunningServer & { host: string };
let admin: string;
const image = () => inject('image');

beforeAll(async () => {
  proxy = await startProxy({ admin: 'tcp://127.0.0.1:0', validation: { engine: 'enforce', plugins: 'enforce' } });
  admin = proxy.admin!.url;
});

afterAll(async () => {
  await proxy?.close();
});

describe('admin listener in front of the real daemon', () => {
  it('/healthz answers 200 and /readyz answers 200 while the daemon answers /_ping', async () => {
    const h = await httpCall(admin, 'GET', '/healthz');
    expect(h.status).toBe(200);
    expect(h.json).toMatchObject({ status: 'ok' });
    const r = await httpCall(admin, 'GET', '/readyz');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'ready' });
    expect((await httpCall(admin, 'GET', '/nope')).status).toBe(404);
  });

  it('counts requests by operation and status, latency and bytes', async () => {
    const before = await scrape(admin);
    await dockerOk(['version'], { host: proxy.host });
    await dockerOk(['version'], { host: proxy.host });
    const after = await waitFor('SystemVersion counted', async () => {
      const t = await scrape(admin);
      return metricValue(t, M.requests, { operation: 'SystemVersion', status: '200' }) >= metricValue(before, M.requests, { operation: 'SystemVersion', status: '200' }) + 2 && t;
    });
    expect(metricValue(after, `${M.requestDuration}_count`, { operation: 'SystemVersion' })).toBeGreaterThanOrEqual(2);
    expect(metricValue(after, M.bytes, { direction: 'to_client', kind: 'request' })).toBeGreaterThan(metricValue(before, M.bytes, { direction: 'to_client', kind: 'request' }));
    expect(after).toContain('# TYPE plugchain_request_duration_seconds histogram');
    expect(after).toContain('process_cpu_seconds_total');
  });

  it('counts a schema violation by side and rule, and the failing hook', async () => {
    const before = await scrape(admin);
    const r = await httpCall(proxy.host, 'POST', '/volumes/create', JSON.stringify({ name: uniqueName('mviol') }));
    expect(r.status).toBe(400);
    const after = await scrape(admin);
    const v = { side: 'engine', rule: 'key-case', message: 'VolumeCreate.request' };
    expect(metricValue(after, M.violations, v) - metricValue(before, M.violations, v)).toBe(1);
    const f = { hook: 'validate', stage: 'pre', side: 'engine' };
    expect(metricValue(after, M.hookFailures, f) - metricValue(before, M.hookFailures, f)).toBe(1);
    expect(metricValue(after, `${M.hookDuration}_count`, f)).toBeGreaterThanOrEqual(1);
    expect(metricValue(after, M.requests, { operation: 'VolumeCreate', status: '400' })).toBeGreaterThanOrEqual(1);
  });

  it('shows a hijacked session as open while docker exec runs, and closed after', async () => {
    const name = uniqueName('mexec');
    await dockerOk(['run', '-d', '--network', 'none', '--name', name, image(), 'sleep', '60'], { host: proxy.host });
    try {
      const exec = docker(['exec', name, 'sh', '-c', 'sleep 3; echo done'], { host: proxy.host });
      const during = await waitFor('an open hijacked session', async () => {
        const t = await scrape(admin);
        return metricValue(t, M.hijackedOpen) >= 1 && t;
      });
      expect(metricValue(during, M.hijackedOpen)).toBeGreaterThanOrEqual(1);
      const r = await exec;
      expect(r.stdout).toBe('done\n');
      const after = await waitFor('the session closed', async () => {
        const t = await scrape(admin);
        return metricValue(t, M.hijackedOpen) === 0 && t;
      });
      expect(metricValue(after, M.hijacked, { operation: 'ExecStart' })).toBeGreaterThanOrEqual(1);
      expect(metricValue(after, M.bytes, { direction: 'to_client', kind: 'hijacked' })).toBeGreaterThan(0);
      expect(metricValue(after, M.bytes, { direction: 'to_daemon', kind: 'hijacked' })).toBeGreaterThan(0);
    } finally {
      await docker(['rm', '-f', name], { host: inject('dockerHost') });
    }
  });

  it('exposes metrics.moves for other modules', async () => {
    moveMetrics.moves.inc('moved');
    moveMetrics.moves.inc('failed', 2);
    const t = await scrape(admin);
    expect(metricValue(t, M.moves, { outcome: 'moved' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(t, M.moves, { outcome: 'failed' })).toBeGreaterThanOrEqual(2);
  });
});

describe('readiness follows the daemon', () => {
  it('/readyz answers 503 with the reason when the daemon stops answering; /healthz stays 200', async () => {
    // A stand-in daemon that answers /_ping, then goes away.
    const dir = mkdtempSync(join(inject('runDir'), 'ready-'));
    const sock = join(dir, 'fake-docker.sock');
    const fake = http.createServer((req, res) => {
      res.writeHead(req.url === '/_ping' ? 200 : 404, { 'content-type': 'text/plain' });
      res.end('OK');
    });
    await new Promise<void>((r) => fake.listen(sock, () => r()));
    const p = await startProxy({ upstream: `unix://${sock}`, admin: `unix://${join(dir, 'admin.sock')}` });
    try {
      const url = p.admin!.url;
      expect(url).toBe(`unix://${join(dir, 'admin.sock')}`);
      expect((await httpCall(url, 'GET', '/readyz')).status).toBe(200);
      fake.closeAllConnections();
      await new Promise<void>((r) => fake.close(() => r()));
      const down = await httpCall(url, 'GET', '/readyz');
      expect(down.status).toBe(503);
      expect(down.json).toMatchObject({ status: 'not ready' });
      expect((down.json as { reason: string }).reason).toContain(sock);
      expect((await httpCall(url, 'GET', '/healthz')).status).toBe(200);
      const t = await scrape(url);
      expect(metricValue(t, M.upstreamErrors)).toBe(0);
      const r = await httpCall(p.host, 'GET', '/version');
      expect(r.status).toBe(502);
      expect(metricValue(await scrape(url), M.upstreamErrors, { side: 'engine', target: 'SystemVersion' })).toBe(1);
    } finally {
      await p.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without an admin address nothing is measured', async () => {
    const p = await startProxy();
    try {
      expect(p.metrics).toBeNull();
      expect(p.admin).toBeNull();
    } finally {
      await p.close();
    }
  });
});
