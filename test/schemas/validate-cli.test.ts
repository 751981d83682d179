import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** Runs `plugchain <args>` in-process and collects what a user would see. */
async function plugchain(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true));
  process.exitCode = undefined;
  try {
    await main(['node', 'plugchain', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout, stderr };
}

afterEach(() => {
  process.exitCode = undefined;
});

const dir = mkdtempSync(join(tmpdir(), 'plugchain-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const exchange = (method: string, request: unknown, status: number, body?: unknown) =>
  JSON.stringify({ ts: '2024-05-01T12:00:00.000Z', plugin: 'dataset', method, request, response: body === undefined ? { status } : { status, body }, durationMs: 1.5 });

describe('plugchain validate <file>', () => {
  it('passes a recorded exchange log that conforms (exit 0)', async () => {
    const log = file('good.ndjson', [
      exchange('Plugin.Activate', null, 200, { Implements: ['VolumeDriver'] }),
      exchange('VolumeDriver.Create', { Name: 'v', Opts: null }, 200, {}),
      exchange('VolumeDriver.Mount', { Name: 'v', ID: 'abc' }, 200, { Mountpoint: '/data/v' }),
      exchange('VolumeDriver.Mount', { Name: 'v', ID: 'abc' }, 500, { Err: 'dataset is moving' }),
      exchange('IpamDriver.RequestAddress', { PoolID: 'p', Address: '', Options: null }, 200, { Address: '10.0.0.2/24' }),
      '',
    ].join('\n'));
    const r = await plugchain('validate', log);
    expect(r).toEqual({ code: 0, stdout: '10 messages checked, 0 violations: all conform\n', stderr: '' });
  });

  it('names each broken rule with its line, message and pointer (exit 1)', async () => {
    const log = file('bad.ndjson', [
      exchange('Plugin.Activate', null, 200, { Implements: ['VolumeDriver'] }),
      exchange('VolumeDriver.Get', { Name: 'v' }, 200, { Volume: { Name: 'v', CreatedAt: '' } }),
      exchange('VolumeDriver.Mount', { Name: 'v', ID: 'abc' }, 200, { Mountpoint: 5 }),
      exchange('IpamDriver.RequestPool', { AddressSpace: 'local', Pool: '', SubPool: '', Options: null, V6: false }, 200, { Err: 'overlap' }),
      exchange('VolumeDriver.Remove', { Name: 'v' }, 204, ''),
      exchange('VolumeDriver.List', {}, 200, ''),
    ].join('\n'));
    const r = await plugchain('validate', log);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      'line 2: VolumeDriver.Get.response: /Volume/CreatedAt format: must be an RFC 3339 date-time (e.g. 2024-05-01T12:00:00Z) or absent; "" breaks docker volume ls',
      'line 3: VolumeDriver.Mount.response: /Mountpoint type: must be string',
      'line 4: IpamDriver.RequestPool.response: /Err not: IPAM answers report errors in "Error"; dockerd silently ignores "Err" on HTTP 200',
      'line 5: VolumeDriver.Remove.response: / status: 204 is a failure to dockerd; success must be exactly HTTP 200',
      'line 6: VolumeDriver.List.response: / body: a JSON body is required (dockerd fails an empty 200 body: "unexpected end of JSON input")',
      '12 messages checked, 5 violations',
      '',
    ]);
  });

  it('reports lines it cannot read and methods it has no schema for (exit 2)', async () => {
    const log = file('mixed.ndjson', [
      exchange('VolumeDriver.Path', { Name: 'v' }, 200, { Mountpoint: '' }),
      '{"ts": "2024-05-01T12:00:00Z", "method": "VolumeDriver.Path",',
      exchange('LogDriver.Capabilities', null, 200, { Cap: { ReadLogs: true } }),
    ].join('\n'));
    const r = await plugchain('validate', log);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^line 2: not JSON: /m);
    expect(r.stdout).toContain('line 3: LogDriver.Capabilities: no schema for this method, not checked\n');
    expect(r.stdout).toContain('2 messages checked, 0 violations, 1 skipped (no schema), 1 unreadable\n');
  });

  it('exits 2 with a reason on stderr when the file cannot be read', async () => {
    const r = await plugchain('validate', join(dir, 'missing.ndjson'));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^plugchain validate: cannot read .*missing\.ndjson: ENOENT/);
  });
});

describe('plugchain validate --message <id> <file>', () => {
  it('checks one message', async () => {
    const good = await plugchain('validate', '--message', 'VolumeDriver.Mount.response', file('m1.json', '{"Mountpoint":"/data/v"}\n'));
    expect(good).toEqual({ code: 0, stdout: '1 message checked, 0 violations: all conform\n', stderr: '' });
    const bad = await plugchain('validate', '-m', 'NetworkDriver.Join.response', file('m2.json', '{"Gateway":"10.0.0.1/24"}'));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('NetworkDriver.Join.response: /Gateway format: must be a plain IPv4 address without a prefix length\n1 message checked, 1 violation\n');
  });

  it('treats an empty file as "no body": fine for an argument-less request, a violation for an answer', async () => {
    const empty = file('empty.json', '');
    expect((await plugchain('validate', '-m', 'Plugin.Activate.request', empty)).code).toBe(0);
    const r = await plugchain('validate', '-m', 'Plugin.Activate.response', empty);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Plugin.Activate.response: / body: a JSON body is required');
  });

  it('refuses an unknown message id (exit 2) and text that is not JSON (exit 2)', async () => {
    const unknown = await plugchain('validate', '-m', 'VolumeDriver.Mount', file('m3.json', '{}'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no schema for message "VolumeDriver.Mount"');
    expect(unknown.stderr).toContain('VolumeDriver.Mount.response');
    const notJson = await plugchain('validate', '-m', 'VolumeDriver.Mount.response', file('m4.json', 'Mountpoint: /x'));
    expect(notJson.code).toBe(2);
    expect(notJson.stdout).toMatch(/^not JSON: /);
  });

  it('explains itself in --help', async () => {
    let help = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((help += String(c)), true));
    const exit = vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      throw Object.assign(new Error('exit'), { exitCode: code });
    }) as never);
    try {
      await main(['node', 'plugchain', 'validate', '--help']).catch((e: { exitCode?: number }) => expect(e.exitCode).toBe(0));
    } finally {
      out.mockRestore();
      exit.mockRestore();
    }
    expect(help).toContain('--message <id>');
    expect(help).toContain('Exit status: 0 all messages conform, 1 at least one violation, 2 the input could not be read');
    expect(help).toContain('VolumeDriver.Mount.response');
  });
});
