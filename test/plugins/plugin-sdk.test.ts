import http from 'node:http';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPluginServer, pluginCall, requireString, type RunningPluginServer } from '../../src/plugin-sdk/index.js';

let dir = '';
let server: RunningPluginServer;
let sock = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pc-sdk-'));
  sock = join(dir, 'p.sock');
  server = await startPluginServer(sock, {
    kinds: ['network', 'ipam'],
    handlers: {
      'NetworkDriver.GetCapabilities': async () => ({ Scope: 'local' }),
      'NetworkDriver.CreateNetwork': async (req) => {
        if (req.NetworkID === 'boom') throw new Error('cannot create boom');
        return {};
      },
      'NetworkDriver.DeleteNetwork': async () => ({}),
      'NetworkDriver.CreateEndpoint': async () => ({ Interface: null }),
      'NetworkDriver.DeleteEndpoint': async () => ({}),
      'NetworkDriver.EndpointOperInfo': async () => ({ Value: {} }),
      'NetworkDriver.Join': async () => ({ InterfaceName: null }),
      'NetworkDriver.Leave': async (req) => {
        requireString(req, 'EndpointID');
        return {};
      },
      'IpamDriver.GetDefaultAddressSpaces': async () => ({ LocalDefaultAddressSpace: 'l', GlobalDefaultAddressSpace: 'g' }),
      'IpamDriver.RequestPool': async () => {
        throw new Error('pool exhausted');
      },
      'IpamDriver.ReleasePool': async () => ({}),
      'IpamDriver.RequestAddress': async () => ({ Address: '10.0.0.2/24' }),
      'IpamDriver.ReleaseAddress': async () => ({}),
    },
  });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('plugin SDK server', () => {
  it('answers Plugin.Activate with every implemented subsystem, with an empty body', async () => {
    const r = await pluginCall(sock, 'Plugin.Activate');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ Implements: ['NetworkDriver', 'IpamDriver'] });
  });

  it('accepts an empty body, no Content-Type and any Accept', async () => {
    const r = await raw('/NetworkDriver.GetCapabilities', '', { Accept: 'application/vnd.docker.plugins.v1+json' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ Scope: 'local' });
    const r2 = await raw('/IpamDriver.GetDefaultAddressSpaces', 'null', {});
    expect(r2.status).toBe(200);
  });

  it('answers errors as HTTP 500 {"Err"} for every subsystem (IPAM too)', async () => {
    const n = await pluginCall(sock, 'NetworkDriver.CreateNetwork', { NetworkID: 'boom' });
    expect(n.status).toBe(500);
    expect(n.body).toMatchObject({ Err: 'cannot create boom' });
    const i = await pluginCall(sock, 'IpamDriver.RequestPool', { AddressSpace: 'l', Pool: '', V6: false });
    expect(i.status).toBe(500);
    expect(i.body).toMatchObject({ Err: 'pool exhausted' });
  });

  it('answers a missing required field with 400 {"Err"} and bad JSON with 400', async () => {
    const r = await pluginCall(sock, 'NetworkDriver.Leave', { NetworkID: 'n' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ Err: 'request field EndpointID is required' });
    const bad = await raw('/NetworkDriver.Leave', '{not json', {});
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).Err).toMatch(/cannot decode request/);
  });

  it('answers 404 for unknown paths, unimplemented optional methods and other subsystems', async () => {
    for (const m of ['NetworkDriver.ProgramExternalConnectivity', 'VolumeDriver.Mount', 'Nope.Nothing', 'IpamDriver.GetCapabilities']) {
      const r = await pluginCall(sock, m, {});
      expect(r.status, m).toBe(404);
      expect((r.body as { Err: string }).Err).toMatch(/not implemented/);
    }
  });

  it('refuses handlers for methods it does not implement, and a subsystem with missing methods', async () => {
    await expect(startPluginServer(join(dir, 'x.sock'), { kinds: ['ipam'], handlers: { 'VolumeDriver.Get': async () => ({ Volume: { Name: 'x' } }) } }))
      .rejects.toThrow(/does not implement VolumeDriver/);
    await expect(startPluginServer(join(dir, 'y.sock'), { kinds: ['volume'], handlers: {} })).rejects.toThrow(/no handler for VolumeDriver.Create/);
  });

  it('replaces a stale socket file, refuses a live one, and removes its socket on close', async () => {
    await expect(startPluginServer(sock, { kinds: [], handlers: {} })).rejects.toThrow(/socket is in use by another process/);
    const p = join(dir, 'stale.sock');
    const first = await startPluginServer(p, { kinds: [], handlers: {} });
    first.server.close(); // leaves the socket file behind, like a killed process
    await new Promise((r) => setTimeout(r, 50));
    const second = await startPluginServer(p, { kinds: [], handlers: {} });
    expect((await pluginCall(p, 'Plugin.Activate')).body).toEqual({ Implements: [] });
    await second.close();
    expect(existsSync(p)).toBe(false);
  });
});

function raw(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method: 'POST', path, headers: { ...headers, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
