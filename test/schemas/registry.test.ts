import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry, getSchemas, EMPTY_BODY_RULE } from '../../src/schemas/registry.js';
import { ADDRESS_FORMATS } from '../../src/schemas/formats.js';
import { METHODS, messageIds } from '../../src/protocols/methods.js';
import { OPERATION_IDS } from '../../src/router/operations.js';
import { ENGINE_MESSAGES } from '../../src/hooks/validate-engine.js';
import { SCHEMAS, bodyOf, loadCaseFiles, messageIdsOfSchemaFile } from './cases.js';

function schemaFiles(dir = SCHEMAS): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? schemaFiles(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : []);
}

describe('schema registry', () => {
  it('compiles every schema file under schemas/ in ajv strict mode', () => {
    const registry = new SchemaRegistry(SCHEMAS);
    const files = schemaFiles().map((f) => relative(SCHEMAS, f)).sort();
    expect(files).toEqual(expect.arrayContaining([
      'config.json', 'powerstrip.json',
      'plugin/activate.json', 'plugin/volume.json', 'plugin/network.json', 'plugin/ipam.json', 'plugin/authz.json',
      'engine/volume.json', 'engine/network.json', 'engine/container.json', 'engine/plugin.json',
    ]));
    for (const f of schemaFiles()) for (const id of messageIdsOfSchemaFile(f)) expect(registry.has(id), id).toBe(true);
  });

  it('has a request and a response schema for every plugin method dockerd calls', () => {
    const s = getSchemas();
    for (const m of METHODS) {
      const ids = messageIds(m.name);
      expect(s.has(ids.request), ids.request).toBe(true);
      expect(s.has(ids.response), ids.response).toBe(true);
    }
  });

  it('has a schema for every engine operation the validate hook checks, and those are real operations', () => {
    for (const [op, id] of Object.entries(ENGINE_MESSAGES)) {
      expect(OPERATION_IDS.has(op), op).toBe(true);
      expect(getSchemas().has(id), id).toBe(true);
    }
    expect(Object.keys(ENGINE_MESSAGES).sort()).toEqual(
      ['ContainerCreate', 'NetworkConnect', 'NetworkCreate', 'NetworkDisconnect', 'PluginPull', 'PluginSet', 'VolumeCreate']);
  });

  it('names the Powerstrip adapter messages', () => {
    for (const id of ['Powerstrip.PreHook.request', 'Powerstrip.PreHook.response', 'Powerstrip.PostHook.request', 'Powerstrip.PostHook.response']) {
      expect(getSchemas().has(id), id).toBe(true);
    }
  });

  it('every message id has at least one good fixture, and every schema file rejects at least one bad message', () => {
    const cases = loadCaseFiles();
    const good = new Set(cases.flatMap((c) => Object.keys(c.good)));
    const bad = new Set(cases.flatMap((c) => c.bad.map((b) => b.message)));
    // Captured engine bodies count as good fixtures of their operation.
    for (const op of Object.keys(ENGINE_MESSAGES)) good.add(`${op}.request`);
    const missing = getSchemas().messageIds.filter((id) => id !== 'PlugchainConfig' && !good.has(id));
    expect(missing).toEqual([]);
    for (const f of schemaFiles()) {
      const ids = messageIdsOfSchemaFile(f);
      if (ids.length === 0) continue; // building blocks (common.json) and config.json (x-message)
      expect(ids.some((id) => bad.has(id)), `${relative(SCHEMAS, f)} has no bad fixture`).toBe(true);
    }
  });

  it('fixtures only use message ids the registry knows', () => {
    for (const c of loadCaseFiles()) {
      for (const id of [...Object.keys(c.good), ...c.bad.map((b) => b.message)]) expect(getSchemas().has(id), `${c.file}: ${id}`).toBe(true);
      for (const list of Object.values(c.good)) for (const g of list) expect(g.absent || 'value' in g, `${c.file}: ${JSON.stringify(g)}`).toBe(true);
      for (const b of c.bad) expect(bodyOf(b) !== undefined || b.absent, `${c.file}: ${b.message}`).toBe(true);
    }
  });
});

describe('empty bodies (P1, P5)', () => {
  const s = getSchemas();
  it('an absent request body of an argument-less call passes (dockerd sends none)', () => {
    for (const m of METHODS.filter((x) => x.emptyRequest)) expect(s.check(`${m.name}.request`, undefined)).toEqual([]);
  });

  it('an absent request body where dockerd sends arguments is "must be object"', () => {
    expect(s.check('VolumeDriver.Mount.request', undefined)).toEqual([expect.objectContaining({ pointer: '/', rule: 'type: must be object' })]);
  });

  it('an absent response body always fails: dockerd cannot decode an empty 200 answer', () => {
    for (const m of METHODS) expect(s.check(`${m.name}.response`, undefined)).toEqual([expect.objectContaining({ pointer: '/', rule: EMPTY_BODY_RULE })]);
  });

  it('the literal null answer is fine where dockerd only needs zero values, and not where success needs a field', () => {
    expect(s.check('VolumeDriver.Create.response', null)).toEqual([]);
    expect(s.check('VolumeDriver.Mount.response', null)[0]?.rule).toMatch(/^type:/);
    expect(s.check('NetworkDriver.GetCapabilities.response', null)[0]?.rule).toMatch(/^type:/);
  });
});

describe('key case (dockerd decodes keys case-insensitively)', () => {
  const s = getSchemas();
  it('refuses two spellings of one key, pointing at the second one', () => {
    expect(s.check('VolumeCreate.request', { Name: 'a', name: 'b' })).toEqual([
      expect.objectContaining({ pointer: '/name', rule: 'key-case: "name" and "Name" differ only in case (dockerd reads them as one key)' }),
    ]);
  });

  it('refuses a case variant of a known property, naming the canonical spelling', () => {
    expect(s.check('VolumeCreate.request', { name: 'a' })).toEqual([
      expect.objectContaining({ pointer: '/name', rule: 'key-case: "name" must be spelled "Name" (dockerd would read it as "Name")' }),
    ]);
  });

  it('reports the key case before a rule the variant trips as a side effect', () => {
    expect(s.check('VolumeDriver.Mount.response', { mountpoint: '/x' })[0]?.pointer).toBe('/mountpoint');
  });

  it('leaves free-form maps alone (labels, driver options) and a single unknown key in any case', () => {
    expect(s.check('VolumeCreate.request', { Name: 'a', Labels: { A: '1', a: '2' }, DriverOpts: { Size: '1', size: '2' }, somethingNEW: 1 })).toEqual([]);
  });

  it('refuses two spellings even of a key no schema names (a later dockerd may read it)', () => {
    expect(s.check('VolumeCreate.request', { Name: 'a', somethingNew: 1, SOMETHINGNEW: 2 })[0]?.pointer).toBe('/SOMETHINGNEW');
  });
});

describe('address formats (as Go parses them)', () => {
  const { ip, cidr, cidr4, cidr6, mac } = ADDRESS_FORMATS as Record<string, (s: string) => boolean>;
  it('tells CIDR from plain IPs', () => {
    expect([ip!('10.0.0.1'), ip!('fd00::1'), ip!('10.0.0.1/24'), ip!('fe80::1%eth0'), ip!('010.0.0.1')]).toEqual([true, true, false, false, false]);
    expect([cidr!('10.0.0.0/8'), cidr!('fd00::/64'), cidr!('10.0.0.1'), cidr!('10.0.0.0/33'), cidr!('10.0.0.0/08')]).toEqual([true, true, false, false, false]);
    expect([cidr4!('10.0.0.0/8'), cidr4!('fd00::/64'), cidr6!('fd00::/128'), cidr6!('10.0.0.0/8')]).toEqual([true, false, true, false]);
  });

  it('reads MAC addresses the way net.ParseMAC does', () => {
    expect([mac!('02:42:ac:11:00:02'), mac!('02-42-AC-11-00-02'), mac!('0242.ac11.0002'), mac!('02:42:ac'), mac!('02:42-ac:11:00:02')]).toEqual([true, true, true, false, false]);
  });
});
