/**
 * What an engine-side hook may ask of the daemon plugchain fronts, without knowing where it is:
 * the proxy puts a `DaemonAccess` into `ctx.state` under `DAEMON_ACCESS_KEY` for every chained
 * request (same target, same TLS, same private-daemon fallback as the proxy itself).
 */
export const DAEMON_ACCESS_KEY = 'engine.daemon';

export interface DaemonReply {
  status: number;
  /** Parsed JSON when the daemon answered JSON, otherwise the text. */
  body: unknown;
}

export interface DaemonAccess {
  /** One buffered call to the daemon (small answers only: inspect, version, …). */
  call(method: string, path: string, body?: unknown): Promise<DaemonReply>;
}
