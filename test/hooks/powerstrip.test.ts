import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { docker, dockerOk, uniqueName } from '../harness/docker-cli.js';
import { startProxy } from '../harness/proxy.js';
import type { RunningServer } from '../../src/server/start-server.js';
import type { HookBinding, PowerstripAdapter } from '../../src/config/config.js';
import { mapPowerstripConfig, operationsMatching } from '../../src/config/powerstrip-adapters.js';
import { engineCall, startAdapters, type AdapterServer } from './powerstrip-adapters.js';

/**
 * Powerstrip adapter protocol v1 hooks in front of the real daemon, with small adapters of the
 * test's own: the whole rewrite contract (method, path, query, body, status, content type) and
 * every way an adapter can fail, each ending in a Docker-style error instead of a hung client.
 */
type Proxy = RunningServer & { host: string };
const daemon = () => inject('dockerHost');
const image = () => inject('image');
let adapters: AdapterServer;
const proxies: Proxy[] = [];
const containers: string[] = [];
const volumes: string[] = [];

async function proxyWith(list: Array<{ name: string; path: string; timeoutMs?: number }>, hooks: HookBinding[], extra: Record<string, unknown> = {}): Promise<Proxy> {
  const cfgAdapters: PowerstripAdapter[] = list.map((a) => ({ name: a.name, url: adapters.url(a.path), ...(a.timeoutMs ? { timeoutMs: a.timeoutMs } : {}) }));
  const p = await startProxy({ adapters: cfgAdapters, hooks, ...extra });
  proxies.push(p);
  return p;
}

const createBody = () => JSON.stringify({ Image: image(), Cmd: ['true'] });
const exists = async (kind: 'container' | 'volume', name: string) => (await docker([kind, 'inspect', name], { host: daemon() })).code === 0;

beforeAll(async () => {
  adapters = await startAdapters();
});

afterAll(async () => {
  for (const c of containers) await docker(['rm', '-f', c], { host: daemon() });
  for (const v of volumes) await docker(['volume', 'rm', '-f', v], { host: daemon() });
  await Promise.all(proxies.map((p) => p.close()));
  await adapters?.close();
});

describe('pre-hooks rewrite the request (body, query, method, path)', () => {
  it('adds a label to docker create: visible in docker inspect; the adapter got the v1 message', async () => {
    const p = await proxyWith([{ name: 'label', path: '/label' }], [{ hook: 'powerstrip:label', operations: ['ContainerCreate'] }]);
    const name = uniqueName('pslabel');
    containers.push(name);
    await dockerOk(['create', '--name', name, '--label', 'mine=1', image(), 'true'], { host: p.host });
    const labels = JSON.parse(await dockerOk(['inspect', '--format', '{{json .Config.Labels}}', name], { host: daemon() }));
    expect(labels).toEqual({ mine: '1', 'plugchain.adapter': 'label' });
    const call = adapters.callsTo('/label').at(-1)!.message;
    expect(call.PowerstripProtocolVersion).toBe(1);
    expect(call.Type).toBe('pre-hook');
    expect(call.ClientRequest.Method).toBe('POST');
    // The URI as the CLI sent it: version prefix and query included.
    expect(call.ClientRequest.Request).toMatch(new RegExp(`^/v1\\.\\d+/containers/create\\?name=${name}$`));
    expect(JSON.parse(call.ClientRequest.Body!).Labels).toEqual({ mine: '1' });
  });

  it('honours a rewritten query: the container gets the adapter\'s name', async () => {
    const p = await proxyWith([{ name: 'rename', path: '/rename' }], [{ hook: 'powerstrip:rename', operations: ['ContainerCreate'] }]);
    const name = uniqueName('psname');
    containers.push(name, `${name}-renamed`);
    const r = await engineCall(p.host, 'POST', `/v1.41/containers/create?name=${name}`, createBody());
    expect(r.status).toBe(201);
    expect(await exists('container', `${name}-renamed`)).toBe(true);
    expect(await exists('container', name)).toBe(false);
  });

  it('honours a rewritten method: DELETE /volumes/x becomes an inspect, the volume stays', async () => {
    const p = await proxyWith([{ name: 'm', path: '/delete-to-inspect' }], [{ hook: 'powerstrip:m', operations: ['VolumeDelete'] }]);
    const vol = uniqueName('psvol');
    volumes.push(vol);
    await dockerOk(['volume', 'create', vol], { host: daemon() });
    const r = await engineCall(p.host, 'DELETE', `/v1.41/volumes/${vol}`);
    expect(r.status).toBe(200);
    expect((r.json as { Name: string }).Name).toBe(vol);
    expect(await exists('volume', vol)).toBe(true);
  });

  it('re-routes a rewritten path: later hooks see the new operation and validate judges the final request', async () => {
    const p = await proxyWith(
      [{ name: 'v2n', path: '/volume-to-network' }, { name: 'netwatch', path: '/echo' }],
      [
        { hook: 'powerstrip:v2n', operations: ['VolumeCreate'] },
        // Bound to NetworkCreate only: it runs because the request became one.
        { hook: 'powerstrip:netwatch', operations: ['NetworkCreate'] },
      ],
      { validation: { engine: 'enforce', plugins: 'off' } },
    );
    const before = adapters.callsTo('/echo').length;
    const vol = uniqueName('psreroute');
    const since = Math.floor(Date.now() / 1000) - 1;
    const r = await engineCall(p.host, 'POST', '/v1.41/volumes/create', JSON.stringify({ Name: vol }));
    // The VolumeCreate body was valid; the NetworkCreate body the adapter made is not (no Name).
    expect(r.status).toBe(400);
    expect((r.json as { message: string }).message).toMatch(/^plugchain: NetworkCreate: .*Name/);
    const seen = adapters.callsTo('/echo').slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.message.ClientRequest.Request).toBe('/v1.41/networks/create');
    // No volume was created. Read from the daemon's event log: a lookup of an unknown volume name
    // asks every volume driver this daemon ever used, and dead drivers of other test files make
    // that take minutes.
    const events = await dockerOk(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1),
      '--filter', 'type=volume', '--filter', 'event=create', '--format', '{{.Actor.ID}}'], { host: daemon() });
    expect(events.split('\n')).not.toContain(vol);
  });
});

describe('post-hooks rewrite the response (status, content type, body)', () => {
  it('a JSON answer: 202, the adapter\'s content type and an added field reach the client', async () => {
    const p = await proxyWith([{ name: 'code', path: '/code' }], [{ hook: 'powerstrip:code', operations: ['VolumeCreate'], stage: 'post' }]);
    const vol = uniqueName('pscode');
    volumes.push(vol);
    const r = await engineCall(p.host, 'POST', '/v1.41/volumes/create', JSON.stringify({ Name: vol }));
    expect(r.status).toBe(202);
    expect(r.contentType).toBe('application/json; charset=utf-8');
    expect(r.json).toMatchObject({ Name: vol, Driver: 'local', Adapter: 'code' });
    const msg = adapters.callsTo('/code').at(-1)!.message;
    expect(msg.Type).toBe('post-hook');
    expect(msg.ServerResponse).toMatchObject({ Code: 201, ContentType: 'application/json' });
    expect(JSON.parse(msg.ServerResponse!.Body!).Name).toBe(vol);
    // The docker CLI takes any 2xx: a user sees the volume created.
    const vol2 = uniqueName('pscode');
    volumes.push(vol2);
    expect((await dockerOk(['volume', 'create', vol2], { host: p.host })).trim()).toBe(vol2);
  });

  it('a text answer with its own status replaces dockerd\'s JSON', async () => {
    const p = await proxyWith([{ name: 'text', path: '/text' }], [{ hook: 'powerstrip:text', operations: ['SystemVersion'], stage: 'post' }]);
    const r = await engineCall(p.host, 'GET', '/version');
    expect(r.status).toBe(203);
    expect(r.contentType).toBe('text/plain');
    expect(r.text).toBe('rewritten by an adapter');
  });
});

describe('adapters that fail: a clear Docker-style error, never a hung client', () => {
  const failing = async (path: string, timeoutMs?: number) => {
    const p = await proxyWith([{ name: 'a1', path, timeoutMs }], [{ hook: 'powerstrip:a1', operations: ['ContainerCreate'] }]);
    const name = uniqueName('psfail');
    containers.push(name);
    const started = Date.now();
    const r = await engineCall(p.host, 'POST', `/v1.41/containers/create?name=${name}`, createBody());
    return { r, name, ms: Date.now() - started, message: (r.json as { message?: string }).message ?? '' };
  };

  it('HTTP 500 from the adapter → 502 with its text; nothing reaches dockerd', async () => {
    const { r, name, message } = await failing('/fail');
    expect(r.status).toBe(502);
    expect(message).toBe('plugchain: adapter a1: pre-hook answered HTTP 500: adapter exploded');
    expect(await exists('container', name)).toBe(false);
  });

  it('HTTP 4xx from the adapter → its status and message (the adapter refused the request)', async () => {
    const { r, name, message } = await failing('/deny');
    expect(r.status).toBe(403);
    expect(message).toBe('plugchain: adapter a1: refused the request (HTTP 403): label policy says no');
    expect(await exists('container', name)).toBe(false);
  });

  it('the docker CLI shows the adapter error', async () => {
    const p = await proxyWith([{ name: 'a2', path: '/fail' }], [{ hook: 'powerstrip:a2', operations: ['ContainerCreate'] }]);
    const r = await docker(['create', image(), 'true'], { host: p.host });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('plugchain: adapter a2: pre-hook answered HTTP 500: adapter exploded');
  });

  it('no answer within timeoutMs → 504 after that time', async () => {
    const { r, name, ms, message } = await failing('/hang', 300);
    expect(r.status).toBe(504);
    expect(message).toMatch(/^plugchain: adapter a1: no answer to the pre-hook within 300 ms/);
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(3_000);
    expect(await exists('container', name)).toBe(false);
  });

  it('garbage: not JSON, not a v1 answer, a Body that is not JSON → 502 each', async () => {
    const notJson = await failing('/not-json');
    expect(notJson.r.status).toBe(502);
    expect(notJson.message).toBe('plugchain: adapter a1: pre-hook answer is not JSON: <html>hello</html>');
    const shape = await failing('/wrong-shape');
    expect(shape.r.status).toBe(502);
    expect(shape.message).toMatch(/^plugchain: adapter a1: pre-hook answer breaks Powerstrip protocol v1: .*ModifiedClientRequest/);
    const body = await failing('/bad-body');
    expect(body.r.status).toBe(502);
    expect(body.message).toMatch(/^plugchain: adapter a1: ModifiedClientRequest.Body is not a JSON document/);
    for (const f of [notJson, shape, body]) expect(await exists('container', f.name)).toBe(false);
  });

  it('an unreachable adapter → 502', async () => {
    const p = await startProxy({ adapters: [{ name: 'gone', url: 'http://127.0.0.1:9/adapter' }], hooks: [{ hook: 'powerstrip:gone', operations: ['ContainerCreate'] }] });
    proxies.push(p);
    const r = await engineCall(p.host, 'POST', '/containers/create', createBody());
    expect(r.status).toBe(502);
    expect((r.json as { message: string }).message).toMatch(/^plugchain: adapter gone: pre-hook failed: unreachable \(connection refused\)/);
  });

  it('a post-hook that fails turns the answer into the adapter error', async () => {
    const p = await proxyWith([{ name: 'pf', path: '/fail' }], [{ hook: 'powerstrip:pf', operations: ['SystemVersion'], stage: 'post' }]);
    const r = await engineCall(p.host, 'GET', '/version');
    expect(r.status).toBe(502);
    expect((r.json as { message: string }).message).toBe('plugchain: adapter pf: post-hook answered HTTP 500: adapter exploded');
  });
});

describe('Powerstrip adapters.yml', () => {
  it('maps "POST /*/containers/create" onto ContainerCreate: versioned and unversioned paths both match', async () => {
    const dir = mkdtempSync(join(inject('runDir'), 'ps-'));
    const file = join(dir, 'adapters.yml');
    writeFileSync(file, [
      'version: 1',
      'endpoints:',
      '  "POST /*/containers/create":',
      '    pre: [label]',
      'adapters:',
      `  label: ${adapters.url('/label')}`,
      '',
    ].join('\n'));
    const p = await startProxy({ powerstripConfig: file });
    proxies.push(p);
    for (const path of ['/v1.41/containers/create', '/containers/create']) {
      const name = uniqueName('psyml');
      containers.push(name);
      const r = await engineCall(p.host, 'POST', `${path}?name=${name}`, createBody());
      expect(r.status).toBe(201);
      const labels = JSON.parse(await dockerOk(['inspect', '--format', '{{json .Config.Labels}}', name], { host: daemon() }));
      expect(labels).toEqual({ 'plugchain.adapter': 'label' });
    }
  });

  it('maps globs the way Powerstrip matched them (fnmatch, * crosses /)', () => {
    expect(operationsMatching('POST /*/containers/create')).toEqual(['ContainerCreate']);
    expect(operationsMatching('POST /v1.16/containers/create')).toEqual(['ContainerCreate']);
    expect(operationsMatching('POST /*/containers/*/start')).toEqual(['ContainerStart']);
    expect(operationsMatching('* /*/containers/create')).toEqual(['ContainerCreate']);
    expect(operationsMatching('POST /*/*/create')).toEqual(expect.arrayContaining(['ContainerCreate', 'VolumeCreate', 'NetworkCreate', 'ImageCreate']));
    expect(() => operationsMatching('POST /*/nothing/here')).toThrow(/matches no Engine API operation/);
  });

  it('post lists run in list order; pre and post of one endpoint; streams are skipped, not bound', () => {
    const m = mapPowerstripConfig({
      endpoints: {
        'POST /*/containers/*/start': { pre: ['a', 'b'], post: ['c', 'd'] },
        'POST /*/*/create': { pre: ['a'] },
      },
      adapters: { a: 'http://127.0.0.1:1/a', b: 'http://127.0.0.1:1/b', c: 'http://127.0.0.1:1/c', d: 'http://127.0.0.1:1/d' },
    });
    expect(m.bindings.map((b) => `${b.hook}/${b.stage}`)).toEqual([
      'powerstrip:a/pre', 'powerstrip:b/pre', 'powerstrip:a/pre', 'powerstrip:d/post', 'powerstrip:c/post',
    ]);
    expect(m.bindings[2]!.operations).not.toContain('ImageCreate');
    expect(m.skipped.join('\n')).toContain('ImageCreate carries a stream body');
  });

  it('refuses what Powerstrip silently accepted: duplicate endpoints, unknown adapters, unknown keys', async () => {
    const dir = mkdtempSync(join(inject('runDir'), 'ps-'));
    const dup = join(dir, 'dup.yml');
    writeFileSync(dup, 'endpoints:\n  "POST /*/containers/*/start":\n    pre: [a]\n  "POST /*/containers/*/start":\n    post: [a]\nadapters:\n  a: http://127.0.0.1:1/\n');
    await expect(startProxy({ powerstripConfig: dup })).rejects.toThrow(/powerstrip config .*dup.yml: duplicate key \(Powerstrip kept only the last one/);
    expect(() => mapPowerstripConfig({ endpoints: { 'POST /*/containers/create': { pre: ['x'] } }, adapters: {} }))
      .toThrow(/names adapter "x", which "adapters" does not define/);
    expect(() => mapPowerstripConfig({ endpoints: { 'POST /*/containers/create': { pre: ['a'], around: ['a'] } }, adapters: { a: 'http://h/' } }))
      .toThrow(/unknown key "around"/);
  });
});

describe('hook bindings are checked at start', () => {
  const refuse = (overrides: Record<string, unknown>) => startProxy(overrides);
  it('refuses unknown hooks, adapters and operation ids, and post-hooks on streams', async () => {
    await expect(refuse({ hooks: [{ hook: 'policy-x', operations: ['ContainerCreate'] }] })).rejects.toThrow(/hooks\[0\]: unknown hook "policy-x"/);
    await expect(refuse({ hooks: [{ hook: 'powerstrip:nope', operations: ['ContainerCreate'] }] })).rejects.toThrow(/no adapter "nope"/);
    await expect(refuse({ adapters: [{ name: 'a', url: 'http://127.0.0.1:1/' }], hooks: [{ hook: 'powerstrip:a', operations: ['ContainerCreat'] }] }))
      .rejects.toThrow(/unknown operation id "ContainerCreat" \(did you mean ContainerCreate/);
    for (const op of ['ContainerLogs', 'SystemEvents', 'ContainerAttach', 'ExecStart']) {
      await expect(refuse({ adapters: [{ name: 'a', url: 'http://127.0.0.1:1/' }], hooks: [{ hook: 'powerstrip:a', operations: [op], stage: 'post' }] }))
        .rejects.toThrow(new RegExp(`${op} (answers with an unbounded stream|is a hijacked stream)`));
    }
    await expect(refuse({ hooks: [{ hook: 'validate', operations: ['ContainerStart'] }] })).rejects.toThrow(/validate has no schema for ContainerStart/);
  });
});
