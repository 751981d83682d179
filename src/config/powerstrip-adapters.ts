import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { PlugchainError } from '../errors/plugchain-error.js';
import { OPERATIONS } from '../router/operations.js';
import { bindingRefusal, type BindingStage } from '../chain/binding-rules.js';
import type { HookBinding, PowerstripAdapter } from './config.js';

/**
 * Powerstrip's own `adapters.yml`:
 *
 *   version: 1
 *   endpoints:
 *     "POST /*\/containers/create": { pre: [flocker, weave] }
 *     "POST /*\/containers/*\/start": { post: [weave] }
 *   adapters: { flocker: http://flocker/adapter, weave: http://weave/adapter }
 *
 * mapped onto plugchain hook bindings. Each endpoint pattern (fnmatch, `*` crosses `/`, as in
 * Powerstrip) is matched against every known operation, once with a version prefix and once
 * without, and the bindings name the operation ids it matched. The router then matches requests
 * with and without `/vX.Y` alike, so `POST /*\/containers/create` covers `/v1.41/containers/create`
 * and `/containers/create` (Powerstrip itself needed a second rule for the unversioned form).
 * Differences from Powerstrip, on purpose:
 * - a duplicated endpoint key is an error (Powerstrip silently kept the last one, issue #68);
 * - several endpoints matching one operation run in file order (Powerstrip: undefined order);
 * - an endpoint that matches no operation plugchain can hook is an error.
 */
export interface PowerstripFileMapping {
  adapters: PowerstripAdapter[];
  bindings: HookBinding[];
  /** Operations a pattern matched but a stage cannot run on (streams), for the log. */
  skipped: string[];
}

const SAMPLE_VERSION = '/v1.41';

export function loadPowerstripAdaptersFile(file: string): PowerstripFileMapping {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(file, `cannot read: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    const text = (err as Error).message;
    if (/keys must be unique/i.test(text)) {
      throw invalid(file, `duplicate key (Powerstrip kept only the last one of a repeated endpoint; put pre and post under one key): ${text}`);
    }
    throw invalid(file, `not valid YAML: ${text}`);
  }
  return mapPowerstripConfig(doc, file);
}

export function mapPowerstripConfig(doc: unknown, source = 'adapters.yml'): PowerstripFileMapping {
  if (!isObject(doc)) throw invalid(source, 'must be a mapping with "endpoints" and "adapters"');
  for (const k of Object.keys(doc)) {
    if (!['version', 'endpoints', 'adapters'].includes(k)) throw invalid(source, `unknown top-level key "${k}"`);
  }
  if (doc.version !== undefined && doc.version !== 1) throw invalid(source, `version must be 1, got ${JSON.stringify(doc.version)}`);
  if (!isObject(doc.endpoints)) throw invalid(source, '"endpoints" must be a mapping of "METHOD /path" to {pre, post}');
  if (!isObject(doc.adapters)) throw invalid(source, '"adapters" must be a mapping of name to http(s) URL');

  const adapters: PowerstripAdapter[] = [];
  for (const [name, url] of Object.entries(doc.adapters)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw invalid(source, `adapter name "${name}" must match [A-Za-z0-9][A-Za-z0-9_.-]*`);
    if (typeof url !== 'string' || !/^https?:\/\/[^/]/.test(url)) throw invalid(source, `adapter ${name}: URL must be http:// or https://, got ${JSON.stringify(url)}`);
    adapters.push({ name, url });
  }
  const known = new Set(adapters.map((a) => a.name));

  const pre: HookBinding[] = [];
  const post: HookBinding[] = [];
  const skipped: string[] = [];
  for (const [endpoint, spec] of Object.entries(doc.endpoints)) {
    if (!isObject(spec) || Object.keys(spec).length === 0) throw invalid(source, `endpoint "${endpoint}" needs "pre" and/or "post"`);
    for (const k of Object.keys(spec)) {
      if (k !== 'pre' && k !== 'post') throw invalid(source, `endpoint "${endpoint}": unknown key "${k}" (only pre and post)`);
    }
    const matched = operationsMatching(endpoint, source);
    for (const stage of ['pre', 'post'] as const) {
      const list = spec[stage];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list) || list.some((n) => typeof n !== 'string')) throw invalid(source, `endpoint "${endpoint}": ${stage} must be a list of adapter names`);
      if (list.length === 0) continue;
      for (const name of list as string[]) {
        if (!known.has(name)) throw invalid(source, `endpoint "${endpoint}" names adapter "${name}", which "adapters" does not define`);
      }
      const ops = hookable(matched, stage, skipped, endpoint);
      if (ops.length === 0) throw invalid(source, `endpoint "${endpoint}": ${stage}-hooks cannot run on any operation it matches (${matched.join(', ')})`);
      for (const name of list as string[]) (stage === 'pre' ? pre : post).push({ hook: `powerstrip:${name}`, operations: ops, stage });
    }
  }
  // Post-hooks unwind in reverse chain order; Powerstrip ran a post list in list order, so the
  // post bindings go into the chain reversed.
  return { adapters, bindings: [...pre, ...post.reverse()], skipped };
}

/** Operation ids an `"METHOD /glob"` endpoint key matches, versioned or not. */
export function operationsMatching(endpoint: string, source = 'adapters.yml'): string[] {
  const m = /^\s*(\S+)\s+(\/\S*)\s*$/.exec(endpoint);
  if (!m) throw invalid(source, `endpoint "${endpoint}" must look like "POST /*/containers/create"`);
  const [, method, pathGlob] = m as unknown as [string, string, string];
  const matcher = fnmatchRegex(`${method} ${pathGlob}`);
  const literal = /^\/v(\d+\.\d+)\//.exec(pathGlob);
  const prefixes = ['', SAMPLE_VERSION, ...(literal ? [`/v${literal[1]}`] : [])];
  const ids: string[] = [];
  for (const op of OPERATIONS) {
    const sample = op.template.replace(/\{(\w+)\*?\}/g, (_, name: string) => `${name}0`);
    if (prefixes.some((p) => matcher.test(`${op.method} ${p}${sample}`))) ids.push(op.id);
  }
  if (ids.length === 0) throw invalid(source, `endpoint "${endpoint}" matches no Engine API operation plugchain knows`);
  return ids;
}

/** Python fnmatch semantics: `*` any run (slashes too), `?` one char, `[…]`/`[!…]` classes. */
export function fnmatchRegex(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        let cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        else if (cls.startsWith('^')) cls = `\\${cls}`;
        out += `[${cls}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function hookable(ops: string[], stage: BindingStage, skipped: string[], endpoint: string): string[] {
  return ops.filter((op) => {
    const why = bindingRefusal(op, stage);
    if (why) skipped.push(`${endpoint} (${stage}): ${why}`);
    return !why;
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(source: string, text: string): PlugchainError {
  return new PlugchainError('PLUGCHAIN_CONFIG_INVALID', `powerstrip config ${source}: ${text}`);
}
