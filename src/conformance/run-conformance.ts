import { kindsFromImplements, SUBSYSTEMS, type PluginKind } from '../protocols/methods.js';
import { getSchemas } from '../schemas/registry.js';
import { readAnswer } from './answer-rules.js';
import { ACTIVATE_CHECK_ID, selectChecks } from './catalog.js';
import { newRunTag, runCheck, type RunState } from './check-context.js';
import { discoverPlugin, isLocalPlugin, type DiscoveryOptions } from './discover-plugin.js';
import { PluginClient } from './plugin-client.js';
import type { Check, CheckResult, ConformReport, SchemaSource } from './types.js';

export interface ConformOptions extends DiscoveryOptions {
  /** `unix:///…`, `tcp://…`, a socket/spec path or a plugin name. */
  plugin: string;
  /** Test only this kind (the plugin must implement it). */
  type?: PluginKind;
  /** Check ids or prefixes. */
  only?: string[];
  /** Per-call deadline in ms (default 10 000). */
  timeoutMs?: number;
  /** The plugin does not share this host's filesystem: skip path existence checks. */
  remote?: boolean;
  /** Schemas to judge answers with: default the project's, null to switch schema checks off. */
  schemas?: SchemaSource | null;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** Discovers, activates and runs every applicable check; never throws for plugin misbehaviour. */
export async function runConformance(opts: ConformOptions): Promise<ConformReport> {
  const started = Date.now();
  const warnings: string[] = [];
  const plugin = discoverPlugin(opts.plugin, opts);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const schemas = opts.schemas === undefined ? loadSchemas(warnings) : opts.schemas;
  const client = new PluginClient(plugin, timeoutMs);
  try {
    const traffic: RunState['traffic'] = [];
    const activation = await client.call(ACTIVATE_CHECK_ID, 'Plugin.Activate');
    traffic.push(activation);
    const answer = readAnswer(activation);
    const declared = answer.kind === 'success' ? answer.body['Implements'] : undefined;
    const implementsList = Array.isArray(declared) ? declared.filter((x): x is string => typeof x === 'string') : [];
    const kinds = opts.type ? [opts.type] : kindsFromImplements(implementsList);
    const state: RunState = {
      client, runTag: newRunTag(), kinds, implementsList, localPaths: isLocalPlugin(plugin) && !opts.remote, timeoutMs, traffic, schemas,
    };
    const results: CheckResult[] = [];
    for (const check of selectChecks(kinds, opts.only ?? [])) {
      const blocked = blockedReason(check, answer.kind === 'success', implementsList);
      results.push(blocked ? skipped(check, blocked) : await runCheck(check, state));
    }
    const shown = opts.only?.length ? results.filter((r) => !(r.id.startsWith('schema.') && r.status === 'skip')) : results;
    return {
      tool: 'plugchain conform',
      plugin,
      implementsList,
      kinds,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      summary: summarize(shown),
      results: shown,
      warnings,
    };
  } finally {
    await client.close();
  }
}

function blockedReason(check: Check, activated: boolean, implementsList: string[]): string | null {
  if (check.family === 'handshake') return null;
  if (!activated) return 'Plugin.Activate failed (see handshake.activate)';
  const want = SUBSYSTEMS[check.family].implements;
  return implementsList.includes(want) ? null : `the plugin does not implement ${want}`;
}

function skipped(check: Check, reason: string): CheckResult {
  return { id: check.id, family: check.family, title: check.title, rule: check.rule, source: check.source, status: 'skip', notes: [reason], durationMs: 0 };
}

export function summarize(results: readonly CheckResult[]): ConformReport['summary'] {
  const count = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
  return { total: results.length, passed: count('pass'), failed: count('fail'), skipped: count('skip') };
}

function loadSchemas(warnings: string[]): SchemaSource | null {
  try {
    return getSchemas();
  } catch (err) {
    warnings.push(`schemas could not be loaded, schema.* checks skipped: ${(err as Error).message}`);
    return null;
  }
}

/** 0 when every applicable check passed (skips do not fail). */
export function exitCodeOf(report: ConformReport): number {
  return report.summary.failed === 0 ? 0 : 1;
}
