#!/usr/bin/env node
// What schema validation adds to POST /containers/create (issue target: < 0.2 ms at p50).
// 1) the check itself, in process, on a body the docker CLI really sends;
// 2) end to end through plugchain with validation off vs enforce, against a private dockerd.
//   npm run build && node bench/validation.mjs
import http from 'node:http';
import { readFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getSchemas } from '../dist/schemas/registry.js';
import { startPrivateDockerd, removeStateDir } from '../dist/lab/private-dockerd.js';
import { importBusyboxImage } from '../dist/lab/busybox-image.js';
import { startServer } from '../dist/server/start-server.js';
import { defaultConfig } from '../dist/config/config.js';
import { silentLogger } from '../dist/logging/logger.js';

const fixture = JSON.parse(readFileSync(new URL('../test/fixtures/messages/engine/captured/ContainerCreate.binds-mounts-ip.json', import.meta.url), 'utf8'));
const body = fixture.body ?? fixture;
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * p)];

// 1. the check
const schemas = getSchemas();
for (let i = 0; i < 2000; i++) schemas.check('ContainerCreate.request', body);
const t = [];
for (let i = 0; i < 20000; i++) {
  const s = performance.now();
  const text = JSON.stringify(body);
  schemas.check('ContainerCreate.request', JSON.parse(text));
  t.push(performance.now() - s);
}
console.log(`parse + check ContainerCreate.request: p50 ${(pct(t, 0.5) * 1000).toFixed(1)} µs, p99 ${(pct(t, 0.99) * 1000).toFixed(1)} µs (${JSON.stringify(body).length} bytes)`);

// 2. end to end
const dir = mkdtempSync('/tmp/pcv-');
const daemon = await startPrivateDockerd({ stateDir: join(dir, 'd') });
const image = importBusyboxImage(daemon.dockerHost);
const createBody = JSON.stringify({ Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none', Binds: [] }, Labels: { bench: '1' } });
async function run(mode) {
  const sock = join(dir, `${mode}.sock`);
  const server = await startServer({ ...defaultConfig(), listen: [`unix://${sock}`], upstream: daemon.dockerHost, stateDir: dir, logLevel: 'silent', validation: { engine: mode, plugins: 'off' } }, { logger: silentLogger });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = () => new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, agent, method: 'POST', path: '/v1.41/containers/create', headers: { 'content-type': 'application/json' } }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve(JSON.parse(b).Id));
    });
    req.on('error', reject);
    req.end(createBody);
  });
  const times = [];
  const ids = [];
  for (let i = 0; i < 150; i++) {
    const s = performance.now();
    ids.push(await post());
    times.push(performance.now() - s);
  }
  for (const id of ids) await new Promise((r) => http.request({ socketPath: daemon.socketPath, method: 'DELETE', path: `/containers/${id}` }, (res) => { res.resume(); res.on('end', r); }).end());
  agent.destroy();
  await server.close();
  return pct(times.slice(20), 0.5);
}
const results = { off: [], enforce: [] };
for (let r = 0; r < 3; r++) for (const m of ['off', 'enforce']) results[m].push(await run(m));
const off = pct(results.off, 0.5);
const on = pct(results.enforce, 0.5);
console.log(`POST /containers/create through plugchain, p50: validation off ${off.toFixed(2)} ms, enforce ${on.toFixed(2)} ms, added ${(on - off).toFixed(2)} ms (dockerd's own create time dominates and varies)`);
await daemon.stop();
removeStateDir(dir);
