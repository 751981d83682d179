import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { parseAddress, type Address } from '../addresses/parse-address.js';

export interface UpstreamTlsOptions {
  /** Verify the daemon's certificate against `ca` (dockerd's --tlsverify on the client side). */
  verify: boolean;
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * Where the Docker daemon is and how to open connections to it: a keep-alive agent for ordinary
 * requests and a raw connector for hijacked ones.
 */
export class DaemonTarget {
  readonly address: Address;
  readonly agent: http.Agent;
  private readonly tlsOptions: tls.ConnectionOptions | null;

  constructor(address: string | Address, tlsOpts?: UpstreamTlsOptions) {
    this.address = typeof address === 'string' ? parseAddress(address) : address;
    this.tlsOptions = tlsOpts ? loadClientTls(tlsOpts) : null;
    const agentOpts: http.AgentOptions = { keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 0 };
    this.agent = this.tlsOptions ? new https.Agent({ ...agentOpts, ...this.tlsOptions }) : new http.Agent(agentOpts);
  }

  get isTls(): boolean {
    return this.tlsOptions !== null;
  }

  /** Request options for http(s).request / http-proxy targets. */
  requestTarget(): { socketPath?: string; host?: string; port?: number; protocol: string } {
    const protocol = this.isTls ? 'https:' : 'http:';
    return this.address.kind === 'unix'
      ? { socketPath: this.address.path, protocol }
      : { host: this.address.host, port: this.address.port, protocol };
  }

  /** A fresh raw connection (for hijacked streams), half-open allowed so EOF can travel each way. */
  connect(): net.Socket {
    const base: net.NetConnectOpts =
      this.address.kind === 'unix'
        ? { path: this.address.path, allowHalfOpen: true }
        : { host: this.address.host, port: this.address.port, allowHalfOpen: true };
    if (this.tlsOptions) {
      return tls.connect({ ...(base as tls.ConnectionOptions), ...this.tlsOptions, allowHalfOpen: true } as tls.ConnectionOptions);
    }
    const sock = net.connect(base);
    sock.setNoDelay(true);
    return sock;
  }

  /** Origin and connect options for an undici Pool to the daemon (unix, tcp, or TLS). */
  undiciPoolOptions(): { origin: string; socketPath?: string; connect?: tls.ConnectionOptions } {
    const a = this.address;
    if (a.kind === 'unix') return { origin: 'http://docker', socketPath: a.path };
    return this.tlsOptions
      ? { origin: `https://${a.host}:${a.port}`, connect: { ...this.tlsOptions } }
      : { origin: `http://${a.host}:${a.port}` };
  }

  /** Host header value to send upstream when the client gave none. */
  hostHeader(): string {
    return this.address.kind === 'unix' ? 'docker' : `${this.address.host}:${this.address.port}`;
  }

  close(): void {
    this.agent.destroy();
  }
}

function loadClientTls(o: UpstreamTlsOptions): tls.ConnectionOptions {
  return {
    rejectUnauthorized: o.verify,
    ca: o.ca ? readFileSync(o.ca) : undefined,
    cert: o.cert ? readFileSync(o.cert) : undefined,
    key: o.key ? readFileSync(o.key) : undefined,
  };
}
