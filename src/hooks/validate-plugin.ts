import { defineHook, type Hook, type HookContext } from '../chain/hook.js';
import type { CheckMode } from '../config/config.js';
import { getSchemas, type Violation } from '../schemas/registry.js';
import { messageIds, methodForPath } from '../protocols/methods.js';
import { noteViolations } from '../observability/violations.js';

export const VERDICT_KEY = 'validate.verdict';

export interface PluginVerdict {
  request: Violation[];
  response: Violation[];
  enforced: boolean;
}

/**
 * Checks both directions of a plugin call. Requests (what dockerd sent) are checked and reported
 * but never refused: dockerd is the reference for its own side. Responses are held to the
 * contract dockerd relies on; in `enforce` a violating answer is replaced by an error dockerd
 * understands (HTTP 500 with `Err`, which every subsystem reads), naming the broken rule.
 */
export function validatePluginHook(mode: Exclude<CheckMode, 'off'>): Hook {
  return defineHook({
    name: 'validate-plugin',
    side: 'plugin',
    operations: '*',
    timeoutMs: 2_000,
    pre(ctx) {
      const verdict: PluginVerdict = { request: checkRequest(ctx), response: [], enforced: false };
      ctx.state.set(VERDICT_KEY, verdict);
      if (verdict.request.length > 0) {
        noteViolations('plugin-request', ctx.operation, verdict.request);
        ctx.log.warn({ violations: verdict.request }, `dockerd sent a ${ctx.operation} request the schema does not describe`);
      }
    },
    post(ctx) {
      const verdict = ctx.state.get(VERDICT_KEY) as PluginVerdict;
      verdict.response = checkResponse(ctx);
      if (verdict.response.length === 0) return;
      noteViolations('plugin-response', ctx.operation, verdict.response);
      const first = verdict.response[0]!;
      const text = `plugchain: plugin ${ctx.params.plugin} broke the ${ctx.operation} contract: ${first.pointer} ${first.rule}`;
      ctx.log.warn({ violations: verdict.response, mode }, text);
      if (mode === 'enforce') {
        verdict.enforced = true;
        ctx.response = { status: 500, headers: { 'content-type': 'application/json' }, body: { Err: text } };
      }
    },
  });
}

function checkRequest(ctx: HookContext): Violation[] {
  const id = messageIds(ctx.operation).request;
  const schemas = getSchemas();
  if (!schemas.has(id)) return [];
  return schemas.check(id, ctx.request.body ?? null);
}

function checkResponse(ctx: HookContext): Violation[] {
  const r = ctx.response!;
  const spec = methodForPath(ctx.operation);
  if (r.status === 404 && spec?.optional) return [];
  if (r.status >= 200 && r.status < 300 && r.status !== 200) {
    return [{ pointer: '/', rule: `status: success must be HTTP 200; dockerd treats ${r.status} as a failure`, schemaPath: '#status' }];
  }
  if (r.status !== 200) return [];
  if (r.body === undefined) {
    return [{ pointer: '/', rule: 'body: HTTP 200 with an empty body; dockerd fails with "unexpected end of JSON input" (send {} at least)', schemaPath: '#body' }];
  }
  if (typeof r.body === 'string') {
    return [{ pointer: '/', rule: 'body: HTTP 200 with a body that is not JSON', schemaPath: '#body' }];
  }
  const id = messageIds(ctx.operation).response;
  const schemas = getSchemas();
  return schemas.has(id) ? schemas.check(id, r.body) : [];
}
