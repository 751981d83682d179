import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineObserver, HijackDone, RequestDone } from '../engine/engine-proxy.js';
import type { ShimObserver } from '../shim/plugin-shim.js';
import type { HookChain } from '../chain/runner.js';
import type { Side } from '../chain/hook.js';
import { violationEvents, type ViolationEvent } from '../observability/violations.js';
import { instrumentChain, type HookStage, type HookTimingSink } from './hook-timing.js';
import { installMoveSink, type MoveOutcome, type MoveSink } from './moves.js';

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const HOOK_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/** Every metric name plugchain exports, for docs and tests. */
export const METRIC_NAMES = {
  requests: 'plugchain_requests_total',
  requestDuration: 'plugchain_request_duration_seconds',
  bytes: 'plugchain_streamed_bytes_total',
  hijackedOpen: 'plugchain_hijacked_sessions_open',
  hijacked: 'plugchain_hijacked_sessions_total',
  violations: 'plugchain_schema_violations_total',
  hookDuration: 'plugchain_hook_duration_seconds',
  hookFailures: 'plugchain_hook_failures_total',
  pluginCalls: 'plugchain_plugin_calls_total',
  pluginCallDuration: 'plugchain_plugin_call_duration_seconds',
  moves: 'plugchain_moves_total',
  upstreamErrors: 'plugchain_upstream_errors_total',
  reloads: 'plugchain_config_reloads_total',
} as const;

/**
 * plugchain's metrics in a registry of their own (never prom-client's global one, so that two
 * servers in one process, as in tests, do not collide). It is the observer the engine proxy and
 * the shims report to, the timing sink of instrumented hook chains, the sink of `metrics.moves`,
 * and a listener on `violationEvents`. Create it only when an admin listener is configured.
 */
export class PlugchainMetrics implements EngineObserver, ShimObserver, HookTimingSink, MoveSink {
  readonly registry = new Registry();
  private readonly requests: Counter<'operation' | 'status'>;
  private readonly requestDuration: Histogram<'operation'>;
  private readonly bytes: Counter<'direction' | 'kind'>;
  private readonly hijackedOpen: Gauge;
  private readonly hijacked: Counter<'operation' | 'outcome'>;
  private readonly violations: Counter<'side' | 'rule' | 'message'>;
  private readonly hookDuration: Histogram<'hook' | 'stage' | 'side'>;
  private readonly hookFailures: Counter<'hook' | 'stage' | 'side'>;
  private readonly pluginCalls: Counter<'plugin' | 'method' | 'status'>;
  private readonly pluginCallDuration: Histogram<'plugin' | 'method'>;
  private readonly moves: Counter<'outcome'>;
  private readonly upstreamErrors: Counter<'side' | 'target'>;
  private readonly reloads: Counter<'result'>;
  private readonly detach: Array<() => void> = [];

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const n = METRIC_NAMES;
    this.requests = new Counter({ name: n.requests, help: 'Engine API requests by operation id and HTTP status (hijacked sessions excluded)', labelNames: ['operation', 'status'], registers });
    this.requestDuration = new Histogram({ name: n.requestDuration, help: 'Engine API request latency, first byte in to response end (streams count their whole life)', labelNames: ['operation'], buckets: LATENCY_BUCKETS, registers });
    this.bytes = new Counter({ name: n.bytes, help: 'Bytes relayed after the request head, by direction (to_daemon, to_client) and kind (request, hijacked)', labelNames: ['direction', 'kind'], registers });
    this.hijackedOpen = new Gauge({ name: n.hijackedOpen, help: 'Hijacked sessions (attach, exec, BuildKit, HTTP/2 tunnels) open now', registers });
    this.hijacked = new Counter({ name: n.hijacked, help: 'Hijacked sessions finished, by operation and outcome (ok, error)', labelNames: ['operation', 'outcome'], registers });
    this.violations = new Counter({ name: n.violations, help: 'Schema violations by side (engine, plugin-request, plugin-response), rule keyword and message', labelNames: ['side', 'rule', 'message'], registers });
    this.hookDuration = new Histogram({ name: n.hookDuration, help: 'Hook stage durations', labelNames: ['hook', 'stage', 'side'], buckets: HOOK_BUCKETS, registers });
    this.hookFailures = new Counter({ name: n.hookFailures, help: 'Hook stages that threw (including refusals by enforcing hooks)', labelNames: ['hook', 'stage', 'side'], registers });
    this.pluginCalls = new Counter({ name: n.pluginCalls, help: 'Plugin protocol calls through a shim, by plugin, method and status sent to dockerd', labelNames: ['plugin', 'method', 'status'], registers });
    this.pluginCallDuration = new Histogram({ name: n.pluginCallDuration, help: 'Plugin protocol call latency through a shim', labelNames: ['plugin', 'method'], buckets: LATENCY_BUCKETS, registers });
    this.moves = new Counter({ name: n.moves, help: 'Volume/dataset moves by outcome', labelNames: ['outcome'], registers });
    this.upstreamErrors = new Counter({ name: n.upstreamErrors, help: 'Connections to the daemon (side=engine) or to a plugin (side=plugin) that failed', labelNames: ['side', 'target'], registers });
    this.reloads = new Counter({ name: n.reloads, help: 'Config reloads (SIGHUP) by result (applied, rejected)', labelNames: ['result'], registers });
    this.hijackedOpen.set(0);
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });

    const onViolation = (v: ViolationEvent) => this.violations.inc({ side: v.side, rule: v.rule, message: v.message });
    violationEvents.on('violation', onViolation);
    this.detach.push(() => violationEvents.off('violation', onViolation));
    this.detach.push(installMoveSink(this));
  }

  requestDone(r: RequestDone): void {
    this.requests.inc({ operation: r.op, status: String(r.status) });
    this.requestDuration.observe({ operation: r.op }, r.durationMs / 1000);
    if (r.bytesIn > 0) this.bytes.inc({ direction: 'to_daemon', kind: 'request' }, r.bytesIn);
    if (r.bytesOut > 0) this.bytes.inc({ direction: 'to_client', kind: 'request' }, r.bytesOut);
  }

  hijackOpened(): void {
    this.hijackedOpen.inc();
  }

  hijackClosed(h: HijackDone): void {
    this.hijackedOpen.dec();
    this.hijacked.inc({ operation: h.op, outcome: h.error ? 'error' : 'ok' });
    if (h.bytesToDaemon > 0) this.bytes.inc({ direction: 'to_daemon', kind: 'hijacked' }, h.bytesToDaemon);
    if (h.bytesToClient > 0) this.bytes.inc({ direction: 'to_client', kind: 'hijacked' }, h.bytesToClient);
  }

  /** EngineObserver and ShimObserver both report unreachable upstreams here. */
  upstreamError(target: string, method?: string): void {
    this.upstreamErrors.inc({ side: method === undefined ? 'engine' : 'plugin', target });
  }

  callDone(c: { plugin: string; method: string; status: number; durationMs: number }): void {
    this.pluginCalls.inc({ plugin: c.plugin, method: c.method, status: String(c.status) });
    this.pluginCallDuration.observe({ plugin: c.plugin, method: c.method }, c.durationMs / 1000);
  }

  instrument(chain: HookChain, side: Side): HookChain {
    return instrumentChain(chain, side, this);
  }

  hookDone(h: { hook: string; stage: HookStage; side: Side; seconds: number; failed: boolean }): void {
    const labels = { hook: h.hook, stage: h.stage, side: h.side };
    this.hookDuration.observe(labels, h.seconds);
    if (h.failed) this.hookFailures.inc(labels);
  }

  move(outcome: MoveOutcome, n: number): void {
    this.moves.inc({ outcome }, n);
  }

  reloaded(result: 'applied' | 'rejected'): void {
    this.reloads.inc({ result });
  }

  /** Text exposition format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Stops listening for violations and moves. */
  close(): void {
    for (const d of this.detach.splice(0)) d();
  }
}
