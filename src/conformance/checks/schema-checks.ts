import { METHODS, messageIds, type MethodSpec } from '../../protocols/methods.js';
import type { Check, CheckContext, CheckFamily, Exchange } from '../types.js';
import { defineCheck, DIGEST } from './define-check.js';

const MAX_REPORTED = 6;

/**
 * One traffic check per method: every HTTP 200 JSON answer the run received for that method is
 * validated against the `<Method>.response` schema, when schemas/ has one.
 */
function schemaCheck(method: MethodSpec): Check {
  const messageId = messageIds(method.name).response;
  const family: CheckFamily = method.kind === 'activate' ? 'handshake' : method.kind;
  return defineCheck({
    id: `schema.${messageId}`,
    family,
    phase: 'traffic',
    title: `${method.name} answers match the ${messageId} schema`,
    rule: `Every HTTP 200 answer to ${method.name} conforms to the JSON Schema ${messageId} (field types, required keys, canonical key case)`,
    source: `schemas/plugin/*.json $defs["${messageId}"], written from ${DIGEST} §§2–6 and §11 schema hints`,
    async run(ctx: CheckContext) {
      if (!ctx.schemas) ctx.skip('schema checks are switched off (--no-schema)');
      if (!ctx.schemas.has(messageId)) ctx.skip(`no schema for ${messageId} yet`);
      const seen = ctx.traffic.filter((e) => e.method === method.name && e.status === 200 && e.json !== undefined);
      if (seen.length === 0) ctx.skip(`no HTTP 200 JSON answer to ${method.name} was received`);
      const bad: Array<{ ex: Exchange; what: string }> = [];
      for (const ex of seen) {
        const violations = ctx.schemas.check(messageId, ex.json);
        if (violations.length > 0) bad.push({ ex, what: violations.map((v) => `${v.pointer} ${v.rule}`).join('; ') });
      }
      if (bad.length > 0) {
        const whats = [...new Set(bad.map((b) => b.what))];
        ctx.fail(`${bad.length} of ${seen.length} answer(s) violate ${messageId}: ${whats.slice(0, 3).join(' | ')}`, `conforms to ${messageId}`, bad.slice(0, MAX_REPORTED).map((b) => b.ex));
      }
      ctx.note(`${seen.length} answer(s) validated`);
    },
  });
}

export const SCHEMA_CHECKS: readonly Check[] = METHODS.filter((m) => m.kind !== 'activate' || m.name === 'Plugin.Activate').map(schemaCheck);
