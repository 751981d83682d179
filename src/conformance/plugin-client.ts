import { Pool } from 'undici';
import { METHODS, type MethodSpec } from '../protocols/methods.js';
import type { Exchange, ResolvedPlugin } from './types.js';

/** What dockerd puts in Accept since v1.10 (plugin-protocols.md §1.3). */
export const PLUGIN_ACCEPT = 'application/vnd.docker.plugins.v1.2+json';
/** dockerd ≥ v25 sends this Host on unix sockets (moby pkg/plugins/client.go dummyHost). */
const UNIX_HOST = 'plugin.moby.localhost';

const SPECS = new Map<string, MethodSpec>(METHODS.map((m) => [m.name, m]));

/**
 * Talks to a plugin the way dockerd's legacy plugin client does (plugin-protocols.md §1.3): always
 * POST /<Type>.<Method>, Accept v1.2, no Content-Type, an empty body for methods dockerd calls with
 * nil args and compact JSON plus a newline otherwise. Nothing is retried: a transport error is
 * reported as such, because dockerd's 15 s of retries would only hide it.
 */
export class PluginClient {
  private readonly pool: Pool;
  private readonly hostHeader: string;

  constructor(readonly plugin: ResolvedPlugin, readonly timeoutMs: number) {
    const unix = plugin.socketPath !== undefined;
    const origin = unix ? `http://${UNIX_HOST}` : `http://${plugin.host!.includes(':') ? `[${plugin.host}]` : plugin.host}:${plugin.port}`;
    this.hostHeader = unix ? UNIX_HOST : new URL(origin).host;
    this.pool = new Pool(origin, {
      socketPath: plugin.socketPath,
      connections: 8,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connectTimeout: Math.min(timeoutMs, 10_000),
    });
  }

  /** The body dockerd would send for `method` with these args. */
  static encodeBody(method: string, args: unknown): string {
    const spec = SPECS.get(method);
    if (spec?.emptyRequest || args === undefined) return '';
    return `${JSON.stringify(args)}\n`;
  }

  async call(checkId: string, method: string, args?: unknown): Promise<Exchange> {
    const path = `/${method}`;
    const body = PluginClient.encodeBody(method, args);
    const headers: Record<string, string> = {
      host: this.hostHeader,
      'user-agent': 'Go-http-client/1.1',
      accept: PLUGIN_ACCEPT,
      'content-length': String(Buffer.byteLength(body)),
    };
    const ex: Exchange = { checkId, method, request: { path, headers, body }, durationMs: 0 };
    const started = performance.now();
    try {
      const res = await this.pool.request({
        method: 'POST',
        path,
        headers,
        body: body === '' ? undefined : body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      ex.status = res.statusCode;
      const ct = res.headers['content-type'];
      if (ct !== undefined) ex.contentType = Array.isArray(ct) ? ct.join(', ') : ct;
      ex.text = await res.body.text();
      parseInto(ex);
    } catch (err) {
      ex.transportError = describeTransportError(err, this.timeoutMs);
    }
    ex.durationMs = Math.round(performance.now() - started);
    return ex;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** Go's json.Decoder reads the first JSON value; an empty body is io.EOF (P1). */
function parseInto(ex: Exchange): void {
  const text = ex.text ?? '';
  if (text.trim() === '') {
    ex.parseError = 'empty body (dockerd: EOF / unexpected end of JSON input)';
    return;
  }
  try {
    ex.json = JSON.parse(text);
  } catch (err) {
    ex.parseError = `not JSON: ${(err as Error).message}`;
  }
}

function describeTransportError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT') {
    return `no answer within ${timeoutMs} ms`;
  }
  return [e?.code, e?.message ?? String(err)].filter(Boolean).join(': ');
}
