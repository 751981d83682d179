import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { discoverPlugin, DiscoveryError, isLocalPlugin } from '../../src/conformance/discover-plugin.js';

let root: string;
const servers: Server[] = [];

async function listen(path: string): Promise<void> {
  const s = createServer();
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(path, resolve));
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pcd-'));
  for (const d of ['socks', 'socks/nested', 'specs', 'specs/inner', 'specs2']) mkdirSync(join(root, d), { recursive: true });
  await listen(join(root, 'socks', 'flat.sock'));
  await listen(join(root, 'socks', 'nested', 'nested.sock'));
  writeFileSync(join(root, 'socks', 'fake.sock'), 'not a socket');
  writeFileSync(join(root, 'specs', 'fake.spec'), 'unix:///from/spec.sock\n');
  writeFileSync(join(root, 'specs', 'tcpone.spec'), '  tcp://127.0.0.1:8089  ');
  writeFileSync(join(root, 'specs', 'inner', 'inner.json'), JSON.stringify({ Name: 'ignored', Addr: 'unix:///from/json.sock' }));
  writeFileSync(join(root, 'specs', 'noscheme.spec'), '/run/x.sock');
  writeFileSync(join(root, 'specs2', 'late.spec'), 'tcp://localhost:9000');
  writeFileSync(join(root, 'specs2', 'tls.json'), JSON.stringify({ Addr: 'https://127.0.0.1:9443', TLSConfig: { CAFile: '/x' } }));
});

afterAll(() => {
  for (const s of servers) s.close();
  rmSync(root, { recursive: true, force: true });
});

const dirs = () => ({ socketDirs: [join(root, 'socks')], specDirs: [join(root, 'specs'), join(root, 'specs2')] });

describe('discovery like dockerd (§1.1, §1.2)', () => {
  test('addresses and paths are taken as they are', () => {
    expect(discoverPlugin('unix:///run/p.sock')).toMatchObject({ url: 'unix:///run/p.sock', socketPath: '/run/p.sock', foundVia: 'address' });
    expect(discoverPlugin('tcp://127.0.0.1:8080')).toMatchObject({ url: 'tcp://127.0.0.1:8080', host: '127.0.0.1', port: 8080 });
    expect(discoverPlugin('./here.sock')).toMatchObject({ socketPath: './here.sock' });
    expect(discoverPlugin(join(root, 'specs', 'fake.spec'))).toMatchObject({ socketPath: '/from/spec.sock' });
  });

  test('a name resolves to <name>.sock, then <name>/<name>.sock, which must be sockets', () => {
    expect(discoverPlugin('flat', dirs()).socketPath).toBe(join(root, 'socks', 'flat.sock'));
    expect(discoverPlugin('nested', dirs()).socketPath).toBe(join(root, 'socks', 'nested', 'nested.sock'));
    // fake.sock is a regular file: dockerd skips it and finds the spec file.
    expect(discoverPlugin('fake', dirs())).toMatchObject({ socketPath: '/from/spec.sock', foundVia: join(root, 'specs', 'fake.spec') });
  });

  test('then spec files in order: .spec, <name>/<name>.spec, .json, <name>/<name>.json, across spec dirs', () => {
    expect(discoverPlugin('tcpone', dirs())).toMatchObject({ host: '127.0.0.1', port: 8089 });
    expect(discoverPlugin('inner', dirs())).toMatchObject({ socketPath: '/from/json.sock' });
    expect(discoverPlugin('late', dirs())).toMatchObject({ host: 'localhost', port: 9000 });
    expect(isLocalPlugin(discoverPlugin('late', dirs()))).toBe(true);
  });

  test('errors name what was tried', () => {
    expect(() => discoverPlugin('noscheme', dirs())).toThrow(/Unknown protocol/);
    expect(() => discoverPlugin('tls', dirs())).toThrow(/TLS/);
    expect(() => discoverPlugin('absent', dirs())).toThrow(DiscoveryError);
    expect(() => discoverPlugin('absent', dirs())).toThrow(new RegExp(`absent\\.sock.*absent/absent\\.json`));
    expect(() => discoverPlugin('bad name!', dirs())).toThrow(DiscoveryError);
  });
});
