import type { PluginKind } from '../protocols/methods.js';

/** A family of checks: the plugin kinds, plus the handshake every legacy plugin goes through. */
export type CheckFamily = 'handshake' | PluginKind;
export type CheckStatus = 'pass' | 'fail' | 'skip';

/** One POST to the plugin and what came back, exactly as seen on the wire. */
export interface Exchange {
  /** The check that sent it (`cleanup:` prefix for clean-up calls). */
  checkId: string;
  method: string;
  request: { path: string; headers: Record<string, string>; body: string };
  /** Absent when the call failed below HTTP (reset, refused, timeout). */
  status?: number;
  contentType?: string;
  /** Response body as text (truncated for reports by the reporters, not here). */
  text?: string;
  /** Parsed body when it is JSON; `parseError` says why not otherwise. */
  json?: unknown;
  parseError?: string;
  transportError?: string;
  durationMs: number;
}

/** Why a check failed: what it expected, and the exchanges that show it. */
export interface Failure {
  message: string;
  expected?: string;
  evidence: Exchange[];
}

export interface CheckResult {
  id: string;
  family: CheckFamily;
  title: string;
  rule: string;
  source: string;
  status: CheckStatus;
  /** Skip reason, or pass/fail remarks (tolerated quirks, clean-up trouble). */
  notes: string[];
  failure?: Failure;
  durationMs: number;
}

/** What the schema checks need from schemas/registry.ts. */
export interface SchemaSource {
  has(messageId: string): boolean;
  check(messageId: string, value: unknown): Array<{ pointer: string; rule: string }>;
}

/** The checks see the plugin only through this. */
export interface CheckContext {
  readonly checkId: string;
  /** The kinds this run covers (from Implements, restricted by --type). */
  readonly kinds: readonly PluginKind[];
  /** Plugin.Activate `Implements`, as answered. */
  readonly implementsList: readonly string[];
  /** The plugin shares this host's filesystem (local paths can be checked). */
  readonly localPaths: boolean;
  readonly timeoutMs: number;
  /** Every exchange of the run so far, in order (traffic checks read it). */
  readonly traffic: readonly Exchange[];
  /** Message schemas (null: schema checks are switched off). */
  readonly schemas: SchemaSource | null;
  /** Sends one call the way dockerd does; never throws for HTTP-level answers. */
  call(method: string, body?: unknown): Promise<Exchange>;
  /** Like call, but the answer must be a dockerd success (200, JSON object or null, no error key). */
  ok(method: string, body?: unknown): Promise<Record<string, unknown>>;
  /** A fresh name `plugchain-conform-<run>-<suffix>`. */
  name(suffix: string): string;
  /** 64 hex characters, like dockerd's endpoint, network and mount ids. */
  hexId(): string;
  note(text: string): void;
  /** Registers clean-up work; it runs after the check, last registered first. */
  defer(label: string, work: () => Promise<unknown>): void;
  fail(message: string, expected?: string, evidence?: Exchange[]): never;
  skip(reason: string): never;
}

export interface Check {
  /** Stable, dotted: `<family>.<subject>[.<case>]`. */
  readonly id: string;
  readonly family: CheckFamily;
  readonly title: string;
  /** The rule, stated as what the plugin must do. */
  readonly rule: string;
  /** Where the rule comes from: digest section, moby/libnetwork code or test, pitfall number. */
  readonly source: string;
  /** `traffic` checks run last and judge the exchanges of all other checks. */
  readonly phase: 'main' | 'traffic';
  run(ctx: CheckContext): Promise<void>;
}

export interface ResolvedPlugin {
  /** What the user passed to --plugin. */
  input: string;
  /** unix:///… or tcp://host:port */
  url: string;
  socketPath?: string;
  host?: string;
  port?: number;
  /** How the address was found: the socket or spec file, or "address". */
  foundVia: string;
}

export interface ConformReport {
  tool: 'plugchain conform';
  plugin: ResolvedPlugin;
  implementsList: string[];
  kinds: PluginKind[];
  startedAt: string;
  durationMs: number;
  summary: { total: number; passed: number; failed: number; skipped: number };
  results: CheckResult[];
  /** Problems of the run itself (e.g. schemas that could not be loaded). */
  warnings: string[];
}
