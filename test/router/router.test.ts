import { describe, expect, it } from 'vitest';
import { OperationRouter } from '../../src/router/router.js';
import { checkCanonicalPath } from '../../src/router/path-rules.js';
import { OPERATIONS } from '../../src/router/operations.js';

const router = new OperationRouter();
const opOf = (method: string, url: string) => {
  const r = router.route(method, url);
  if (!r.ok) throw new Error(r.reason);
  return r.match.op?.id ?? null;
};

describe('operation router', () => {
  it('matches with and without the /vX.Y prefix and keeps the version', () => {
    expect(opOf('POST', '/containers/create?name=x')).toBe('ContainerCreate');
    expect(opOf('POST', '/v1.41/containers/create?name=x')).toBe('ContainerCreate');
    const r = router.route('POST', '/v1.41/containers/abc/start');
    expect(r.ok && r.match.version).toBe('1.41');
    expect(r.ok && r.match.params).toEqual({ id: 'abc' });
  });

  it('reads image and plugin names with slashes as one parameter', () => {
    const r = router.route('POST', '/v1.41/plugins/vieux/sshfs:latest/set');
    expect(r.ok && r.match.op?.id).toBe('PluginSet');
    expect(r.ok && r.match.params.name).toBe('vieux/sshfs:latest');
    expect(opOf('GET', '/images/library/busybox:1/json')).toBe('ImageInspect');
    expect(opOf('GET', '/images/json')).toBe('ImageList');
  });

  it('tells literal routes from parameter routes', () => {
    expect(opOf('GET', '/containers/json')).toBe('ContainerList');
    expect(opOf('GET', '/containers/abc/json')).toBe('ContainerInspect');
    expect(opOf('POST', '/volumes/create')).toBe('VolumeCreate');
    expect(opOf('GET', '/volumes/create')).toBe('VolumeInspect');
    expect(opOf('POST', '/exec/abc/start')).toBe('ExecStart');
  });

  it('lets unknown operations through unnamed', () => {
    expect(opOf('GET', '/v1.41/frobnicate')).toBeNull();
    expect(opOf('PATCH', '/containers/abc/json')).toBeNull();
  });

  it('has unique operation ids', () => {
    const ids = OPERATIONS.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('canonical path rules', () => {
  it.each([
    ['/containers/../info', 'dot segment'],
    ['/containers/./json', 'dot segment'],
    ['/containers//json', 'empty path segment'],
    ['/volumes/a%2Fb', 'percent-encoded'],
    ['/volumes/a%2fb', 'percent-encoded'],
    ['/volumes/%2e%2e', 'percent-encoded'],
    ['/volumes/a%00', 'percent-encoded'],
    ['/volumes/a\\b', 'backslash'],
    ['volumes', 'must start'],
  ])('refuses %s', (path, reason) => {
    const v = checkCanonicalPath(path);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toContain(reason);
  });

  it('accepts ordinary paths, including encoded spaces and colons', () => {
    for (const p of ['/_ping', '/v1.41/images/busybox:latest/json', '/volumes/my%20vol', '/containers/abc/archive']) {
      expect(checkCanonicalPath(p)).toEqual({ ok: true });
    }
  });

  it('refuses through the router with a reason, never routing', () => {
    const r = router.route('GET', '/v1.41/containers/../info');
    expect(r.ok).toBe(false);
  });
});
