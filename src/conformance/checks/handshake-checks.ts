import { METHODS, SUBSYSTEMS } from '../../protocols/methods.js';
import { errString, readAnswer } from '../answer-rules.js';
import type { Check, CheckContext, Exchange } from '../types.js';
import { defineCheck, DIGEST } from './define-check.js';

/** Every `Implements` value dockerd knows (plugin-protocols.md §2), case-sensitive. */
export const KNOWN_IMPLEMENTS = ['VolumeDriver', 'NetworkDriver', 'IpamDriver', 'authz', 'LogDriver', 'MetricsCollector', 'secretprovider'];

const OPTIONAL = new Set(METHODS.filter((m) => m.optional).map((m) => m.name));

/** The activation exchange the runner made before any check ran. */
function activation(ctx: CheckContext): Exchange {
  const ex = ctx.traffic.find((e) => e.method === 'Plugin.Activate');
  if (!ex) ctx.skip('Plugin.Activate was not sent');
  return ex;
}

const activate = defineCheck({
  id: 'handshake.activate',
  family: 'handshake',
  title: 'Plugin.Activate answers Implements with known values',
  rule: 'POST /Plugin.Activate with an empty body answers HTTP 200 {"Implements": [...]}: a non-empty list of strings, each a value dockerd knows, spelled with its exact case (authz lower-case, the others PascalCase), including every type this run tests',
  source: `${DIGEST} §2 / moby pkg/plugins/plugins.go Manifest, implements / P22`,
  async run(ctx: CheckContext) {
    const ex = activation(ctx);
    const a = readAnswer(ex);
    const evidence = [ex];
    if (a.kind !== 'success') ctx.fail(`Plugin.Activate did not succeed: ${a.kind === 'error' ? a.text : a.problem}`, 'HTTP 200 {"Implements": [...]}', evidence);
    const list = a.body['Implements'];
    if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string')) {
      ctx.fail(`Implements is ${JSON.stringify(list)}`, 'a non-empty array of strings', evidence);
    }
    const unknown = (list as string[]).filter((x) => !KNOWN_IMPLEMENTS.includes(x));
    if (unknown.length > 0) {
      const hints = unknown.map((u) => {
        const near = KNOWN_IMPLEMENTS.find((k) => k.toLowerCase() === u.toLowerCase());
        return near ? `"${u}" (dockerd matches case-sensitively: write "${near}")` : `"${u}"`;
      });
      ctx.fail(`unknown Implements value(s): ${hints.join(', ')}`, `only ${KNOWN_IMPLEMENTS.join(', ')}`, evidence);
    }
    for (const kind of ctx.kinds) {
      const want = SUBSYSTEMS[kind].implements;
      if (!(list as string[]).includes(want)) {
        ctx.fail(`--type ${kind} was asked for but Implements lacks "${want}"; dockerd would answer "Plugin does not implement the requested driver"`, `Implements contains "${want}"`, evidence);
      }
    }
  },
});

/** Judges the traffic of the whole run, so it runs after every other check. */
const successIs200Json = defineCheck({
  id: 'handshake.success-200-json',
  family: 'handshake',
  phase: 'traffic',
  title: 'Every success is HTTP 200 with a JSON body',
  rule: 'dockerd treats only HTTP 200 as success (201 and 204 are errors) and decodes the 200 body as JSON into a struct: it must be a JSON object (at least {}) or null, never empty',
  source: `${DIGEST} §1.4 / moby pkg/plugins/client.go callWithRetry / P1, P2`,
  async run(ctx: CheckContext) {
    const bad: Array<{ ex: Exchange; why: string }> = [];
    for (const ex of ctx.traffic) {
      if (ex.status === undefined || ex.status < 200 || ex.status > 299) continue;
      if (ex.status !== 200) bad.push({ ex, why: `${ex.method} answered HTTP ${ex.status}` });
      else {
        const a = readAnswer(ex);
        if (a.kind === 'broken') bad.push({ ex, why: `${ex.method}: ${a.problem}` });
      }
    }
    failOnAny(ctx, bad, 'HTTP 200 with a JSON object or null');
  },
});

const errorShape = defineCheck({
  id: 'handshake.error-shape',
  family: 'handshake',
  phase: 'traffic',
  title: 'Errors use the key dockerd reads for the subsystem',
  rule: 'A non-200 answer carries {"Err": "<text>"} (dockerd shows Err, else the raw body); on HTTP 200 VolumeDriver and NetworkDriver report errors in "Err", IpamDriver in "Error" ("Err" on 200 is silently ignored for IPAM, and "Error" for the others)',
  source: `${DIGEST} §1.4 table / moby daemon/libnetwork/ipams/remote/api/api.go, daemon/volume/drivers/proxy.go / P6; libnetwork issue #1613`,
  async run(ctx: CheckContext) {
    const bad: Array<{ ex: Exchange; why: string }> = [];
    for (const ex of ctx.traffic) {
      // Other 2xx statuses are judged by handshake.success-200-json (P2).
      if (ex.status === undefined || (ex.status > 200 && ex.status < 300)) continue;
      if (ex.status !== 200) {
        if (ex.status === 404 && OPTIONAL.has(ex.method)) continue;
        if (errString(ex.json, 'Err') === undefined) bad.push({ ex, why: `${ex.method} answered HTTP ${ex.status} without a JSON {"Err": "..."} body` });
        continue;
      }
      const ipam = ex.method.startsWith('IpamDriver.');
      const other = ex.method.startsWith('VolumeDriver.') || ex.method.startsWith('NetworkDriver.');
      if (ipam && errString(ex.json, 'Err') !== undefined && errString(ex.json, 'Error') === undefined) {
        bad.push({ ex, why: `${ex.method} put its error in "Err" on HTTP 200; dockerd reads "Error" for IPAM and treats this as success` });
      } else if (other && errString(ex.json, 'Error') !== undefined && errString(ex.json, 'Err') === undefined) {
        bad.push({ ex, why: `${ex.method} put its error in "Error" on HTTP 200; dockerd reads "Err" here and treats this as success` });
      }
    }
    failOnAny(ctx, bad, 'errors as {"Err"} on non-200, and in the subsystem key on 200');
  },
});

export function failOnAny(ctx: CheckContext, bad: Array<{ ex: Exchange; why: string }>, expected: string): void {
  if (bad.length === 0) return;
  const whys = [...new Set(bad.map((b) => b.why))];
  ctx.fail(`${bad.length} answer(s) break the rule: ${whys.slice(0, 5).join('; ')}${whys.length > 5 ? '; …' : ''}`, expected, bad.slice(0, 6).map((b) => b.ex));
}

export const HANDSHAKE_CHECKS: readonly Check[] = [activate, successIs200Json, errorShape];
