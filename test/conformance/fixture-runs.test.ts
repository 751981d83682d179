import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ALL_CHECKS } from '../../src/conformance/catalog.js';
import { runConformance, type ConformOptions } from '../../src/conformance/run-conformance.js';
import type { ConformReport } from '../../src/conformance/types.js';
import { SchemaRegistry } from '../../src/schemas/registry.js';
import { startFixturePlugin, type Defect, type FixtureOptions } from '../fixtures/plugins/fixture-plugin.js';

async function conformAgainst(fixture: FixtureOptions, opts: Partial<ConformOptions> = {}) {
  const plugin = await startFixturePlugin(fixture);
  try {
    const report = await runConformance({ plugin: `unix://${plugin.socketPath}`, schemas: null, ...opts });
    return { report, plugin, inventory: plugin.inventory() };
  } finally {
    await plugin.close();
  }
}

const failedIds = (r: ConformReport) => r.results.filter((x) => x.status === 'fail').map((x) => x.id).sort();
const mainIds = ALL_CHECKS.filter((c) => c.phase === 'main' || !c.id.startsWith('schema.')).map((c) => c.id);

describe('the correct fixture', () => {
  test('passes every check, skipping nothing but schema checks, and leaves nothing behind', async () => {
    const { report, inventory } = await conformAgainst({});
    expect(failedIds(report)).toEqual([]);
    const passed = report.results.filter((r) => r.status === 'pass').map((r) => r.id);
    expect(passed.sort()).toEqual([...mainIds].sort());
    expect(report.kinds).toEqual(['volume', 'network', 'ipam', 'authz']);
    expect(inventory).toEqual({ volumes: [], mounted: [], networks: 0, endpoints: 0, pools: 0 });
  });

  test("passes with the project's schemas too", async () => {
    const { report } = await conformAgainst({}, { schemas: undefined });
    expect(failedIds(report)).toEqual([]);
  });

  test('is called exactly like dockerd calls a plugin (§1.3)', async () => {
    const { plugin } = await conformAgainst({}, { only: ['volume.lifecycle', 'network.capabilities', 'ipam.'] });
    expect(plugin.calls.length).toBeGreaterThan(10);
    for (const c of plugin.calls) {
      expect(c.headers['content-type']).toBeUndefined();
      expect(c.headers['accept']).toBe('application/vnd.docker.plugins.v1.2+json');
      expect(c.headers['host']).toBe('plugin.moby.localhost');
    }
    const bodyOf = (m: string) => plugin.calls.find((c) => c.method === m)!.body;
    for (const m of ['Plugin.Activate', 'NetworkDriver.GetCapabilities', 'IpamDriver.GetCapabilities', 'IpamDriver.GetDefaultAddressSpaces']) {
      expect(bodyOf(m), m).toBe('');
    }
    expect(bodyOf('VolumeDriver.List')).toBe('{}\n');
    expect(JSON.parse(bodyOf('VolumeDriver.Create'))).toEqual({ Name: expect.stringMatching(/^plugchain-conform-[0-9a-f]{6}-/), Opts: {} });
  });
});

/** Each defect breaks one rule; the suite must fail exactly these checks, with evidence of that method. */
const DEFECTS: Array<[Defect, string[], string]> = [
  ['empty-200-body', ['handshake.success-200-json', 'volume.capabilities.scope'], 'VolumeDriver.Capabilities'],
  ['status-201', ['handshake.success-200-json', 'network.delete-network'], 'NetworkDriver.DeleteNetwork'],
  ['created-at-empty', ['volume.created-at'], 'VolumeDriver.Get'],
  ['name-not-echoed', ['volume.name.echo'], 'VolumeDriver.Get'],
  ['mountpoint-relative', ['volume.mountpoint'], 'VolumeDriver.Mount'],
  ['unmount-ignores-refs', ['volume.mount.same-id-twice', 'volume.mount.two-ids'], 'VolumeDriver.Path'],
  ['refcount-id-set', ['volume.mount.same-id-twice'], 'VolumeDriver.Path'],
  ['shared-mountpoint', ['volume.mount.concurrent'], 'VolumeDriver.Mount'],
  ['create-existing-error', ['volume.create.existing'], 'VolumeDriver.Create'],
  ['get-missing-500-text', ['handshake.error-shape', 'volume.get.missing'], 'VolumeDriver.Get'],
  ['get-missing-reset', ['volume.get.missing'], 'VolumeDriver.Get'],
  ['list-volumes-string', ['volume.list.shape'], 'VolumeDriver.List'],
  ['network-scope-case', ['network.capabilities.scope'], 'NetworkDriver.GetCapabilities'],
  ['endpoint-echo-address', ['network.endpoint.given-address'], 'NetworkDriver.CreateEndpoint'],
  ['gateway-cidr', ['network.join'], 'NetworkDriver.Join'],
  ['join-no-interface', ['network.join'], 'NetworkDriver.Join'],
  ['leave-unjoined-error', ['network.leave.never-joined'], 'NetworkDriver.Leave'],
  ['optional-500', ['network.optional-404'], 'NetworkDriver.ProgramExternalConnectivity'],
  ['ipam-err-on-200', ['handshake.error-shape', 'ipam.error-key'], 'IpamDriver.RequestAddress'],
  ['ipam-same-pool', ['ipam.pool.dynamic'], 'IpamDriver.RequestPool'],
  ['ipam-never-exhausts', ['ipam.address.exhaustion'], 'IpamDriver.RequestAddress'],
  ['authz-no-allow', ['authz.response'], 'AuthZPlugin.AuthZRes'],
  ['implements-unknown', ['handshake.activate'], 'Plugin.Activate'],
];

describe('broken fixtures', () => {
  test.each(DEFECTS)('%s fails exactly %j', async (defect, expected, method) => {
    const { report } = await conformAgainst({ defects: [defect] });
    expect(failedIds(report)).toEqual([...expected].sort());
    for (const r of report.results.filter((x) => x.status === 'fail')) {
      expect(r.failure!.message.length).toBeGreaterThan(10);
      expect(r.failure!.expected).toBeTruthy();
      expect(r.rule).toBeTruthy();
      expect(r.source).toMatch(/plugin-protocols\.md/);
      expect(r.failure!.evidence.length).toBeGreaterThan(0);
    }
    const primaryId = expected.find((id) => !id.startsWith('handshake.')) ?? expected[0];
    const primary = report.results.find((r) => r.id === primaryId)!;
    expect(primary.failure!.evidence.map((e) => e.method)).toContain(method);
    const last = primary.failure!.evidence.at(-1)!;
    expect(last.request.path.startsWith('/')).toBe(true);
    expect(last.status !== undefined || last.transportError !== undefined).toBe(true);
  });

  test('a plugin answering "volumedriver" is no volume driver, like for dockerd', async () => {
    const { report } = await conformAgainst({ defects: ['implements-unknown'] });
    expect(report.kinds).toEqual(['network', 'ipam', 'authz']);
    expect(report.results.some((r) => r.family === 'volume')).toBe(false);
    expect(report.results.find((r) => r.id === 'handshake.activate')!.failure!.message).toMatch(/write "VolumeDriver"/);
    const forced = await conformAgainst({ defects: ['implements-unknown'] }, { type: 'volume' });
    const vol = forced.report.results.filter((r) => r.family === 'volume');
    expect(vol.length).toBeGreaterThan(0);
    expect(vol.every((r) => r.status === 'skip' && /does not implement VolumeDriver/.test(r.notes[0]!))).toBe(true);
  });
});

describe('selection', () => {
  test('--type restricts the families; a type the plugin lacks fails the handshake', async () => {
    const ipam = await conformAgainst({}, { type: 'ipam' });
    expect(new Set(ipam.report.results.map((r) => r.family))).toEqual(new Set(['handshake', 'ipam']));
    expect(failedIds(ipam.report)).toEqual([]);

    const lacking = await conformAgainst({ implements: ['VolumeDriver'] }, { type: 'network' });
    expect(failedIds(lacking.report)).toEqual(['handshake.activate']);
    expect(lacking.report.results.filter((r) => r.family === 'network').every((r) => r.status === 'skip')).toBe(true);
  });

  test('--only runs the selected checks plus activation and the traffic checks', async () => {
    const { report } = await conformAgainst({ defects: ['unmount-ignores-refs'] }, { only: ['volume.mount'] });
    const ran = report.results.filter((r) => !r.id.startsWith('schema.')).map((r) => r.id);
    expect(ran.sort()).toEqual(['handshake.activate', 'handshake.error-shape', 'handshake.success-200-json', 'volume.mount.concurrent', 'volume.mount.same-id-twice', 'volume.mount.two-ids']);
    expect(failedIds(report)).toEqual(['volume.mount.same-id-twice', 'volume.mount.two-ids']);
  });
});

describe('schema checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('judge every 200 answer of a method that has a schema, with the violating answer as evidence', async () => {
    writeFileSync(join(dir, 'conform-test.json'), JSON.stringify({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'https://plugchain.test/schemas/conform-test.json',
      $defs: {
        'VolumeDriver.Capabilities.response': {
          type: 'object',
          properties: { Capabilities: { type: 'object', properties: { Scope: { const: 'global' } } } },
        },
        'NetworkDriver.GetCapabilities.response': {
          type: 'object',
          required: ['Scope'],
          properties: { Scope: { enum: ['local', 'global'] } },
        },
      },
    }));
    const { report } = await conformAgainst({}, { schemas: new SchemaRegistry(dir) });
    const byId = new Map(report.results.map((r) => [r.id, r]));
    expect(failedIds(report)).toEqual(['schema.VolumeDriver.Capabilities.response']);
    const bad = byId.get('schema.VolumeDriver.Capabilities.response')!;
    expect(bad.failure!.message).toMatch(/\/Capabilities\/Scope/);
    expect(bad.failure!.evidence[0]!.method).toBe('VolumeDriver.Capabilities');
    expect(byId.get('schema.NetworkDriver.GetCapabilities.response')!.status).toBe('pass');
    expect(byId.get('schema.VolumeDriver.Mount.response')!.notes[0]).toMatch(/no schema/);
  });
});

test('the fixture tmp dirs are cleaned up', () => {
  expect(readdirSync(tmpdir()).filter((n) => n.startsWith('pcf-')).length).toBeLessThan(50);
});
