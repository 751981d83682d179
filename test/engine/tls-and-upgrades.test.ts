import net from 'node:net';
import http from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { docker, dockerOk } from '../harness/docker-cli.js';
import { startProxy } from '../harness/proxy.js';
import { makeTlsMaterial, type TlsMaterial } from '../harness/tls-certs.js';
import { closedLoopbackPort, removeStateDir, startPrivateDockerd, type PrivateDockerd } from '../../src/lab/private-dockerd.js';
import { importBusyboxImage } from '../../src/lab/busybox-image.js';
import type { RunningServer } from '../../src/server/start-server.js';

let tlsDir: string;
let tls: TlsMaterial;
beforeAll(() => {
  tlsDir = mkdtempSync(join(inject('runDir'), 'tls-'));
  tls = makeTlsMaterial(tlsDir);
});

function rawExchange(socketPath: string, request: string, until: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath, () => s.write(request));
    let text = '';
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (until(text)) {
        s.destroy();
        resolve(text);
      }
    });
    s.on('error', reject);
    setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer; got ${JSON.stringify(text)}`));
    }, 5000);
  });
}

function head(socketPath: string, path: string): Promise<http.IncomingHttpHeaders & { status?: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, method: 'HEAD' }, (res) => {
      res.resume();
      resolve({ ...res.headers, status: res.statusCode });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('API negotiation headers and HTTP upgrades', () => {
  let proxy: RunningServer & { host: string };
  beforeAll(async () => {
    proxy = await startProxy();
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('HEAD /_ping passes the version headers untouched', async () => {
    const direct = await head(inject('dockerHost').replace('unix://', ''), '/_ping');
    const via = await head(proxy.host.replace('unix://', ''), '/_ping');
    for (const h of ['api-version', 'ostype', 'docker-experimental', 'builder-version', 'swarm', 'server']) {
      expect(via[h], h).toBe(direct[h]);
    }
    expect(via['api-version']).toBe('1.41');
  });

  it('relays the daemon\'s own 101 for an h2c session upgrade (BuildKit /session) and its HTTP/2 preface', async () => {
    const request = 'POST /v1.41/session HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n' +
      'X-Docker-Expose-Session-Uuid: plugchain-test\r\nX-Docker-Expose-Session-Name: t\r\nX-Docker-Expose-Session-Sharedkey: k\r\nContent-Length: 0\r\n\r\n';
    const text = await rawExchange(proxy.host.replace('unix://', ''), request, (t) => t.includes('PRI * HTTP/2.0'));
    expect(text.startsWith('HTTP/1.1 101 Switching Protocols\r\n')).toBe(true);
    expect(text).toContain('Upgrade: h2c');
    expect(text).toContain('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  });
});

describe('TLS on both sides, with dockerd\'s flag names', () => {
  let daemon: PrivateDockerd;
  let daemonDir: string;
  let port: number;
  let proxy: RunningServer & { host: string };
  let proxyTcp: string;

  beforeAll(async () => {
    daemonDir = mkdtempSync(join(inject('runDir'), 'tlsd-'));
    port = await closedLoopbackPort();
    daemon = await startPrivateDockerd({
      stateDir: daemonDir,
      extraArgs: ['--tlsverify', `--tlscacert=${tls.ca}`, `--tlscert=${tls.serverCert}`, `--tlskey=${tls.serverKey}`, `--host=tcp://127.0.0.1:${port}`],
    });
    importBusyboxImage(daemon.dockerHost);
    const listenPort = await closedLoopbackPort();
    proxy = await startProxy({
      listen: [`tcp://127.0.0.1:${listenPort}`],
      tls: { verify: true, ca: tls.ca, cert: tls.serverCert, key: tls.serverKey },
      upstream: `tcp://127.0.0.1:${port}`,
      upstreamTls: { verify: true, ca: tls.ca, cert: join(tls.clientDir, 'cert.pem'), key: join(tls.clientDir, 'key.pem') },
    });
    proxyTcp = `tcp://127.0.0.1:${listenPort}`;
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    await daemon?.stop();
    if (daemonDir) removeStateDir(daemonDir);
  });

  const tlsEnv = () => ({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: tls.clientDir });

  it('the docker CLI with --tlsverify reaches a TLS daemon through a TLS listener: run, exec -i with late output', async () => {
    const env = tlsEnv();
    expect((await dockerOk(['version', '--format', '{{.Server.APIVersion}}'], { host: proxyTcp, env })).trim()).toBe('1.41');
    expect(await dockerOk(['run', '--rm', '--network', 'none', 'plugchain/busybox:local', 'echo', 'over-tls'], { host: proxyTcp, env })).toBe('over-tls\n');
    const r = await docker(['run', '-i', '--rm', '--network', 'none', 'plugchain/busybox:local', 'sh', '-c', 'cat; sleep 1; echo late'], { host: proxyTcp, env, input: 'in\n' });
    expect(r).toMatchObject({ code: 0, stdout: 'in\nlate\n' });
  });

  it('a client without a certificate is refused by the listener (--tlsverify)', async () => {
    const port = Number(proxyTcp.split(':').pop());
    const outcome = await new Promise<string>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(tls.ca), servername: 'localhost' }, () => {
        s.write('GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n');
      });
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('error', (e) => resolve(`error: ${e.message}`));
      s.on('close', () => resolve(got === '' ? 'closed without an answer' : got));
    });
    expect(outcome).not.toContain('200 OK');
    expect(outcome).toMatch(/error|closed/);
    // ...while the same client with its certificate is served.
    expect((await docker(['version'], { host: proxyTcp, env: tlsEnv() })).code).toBe(0);
  });
});
