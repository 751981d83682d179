import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { PlugchainError } from '../errors/plugchain-error.js';
import type { OperationRouter, RouteMatch } from '../router/router.js';
import { runPost, runUndo, type ChainPlan, type HookChain } from '../chain/runner.js';
import type { HookContext } from '../chain/hook.js';
import { runPreRouted, type RerouteVerdict } from '../chain/run-pre-routed.js';
import { DAEMON_ACCESS_KEY, type DaemonAccess } from '../chain/engine-access.js';
import type { PassThrough } from '../upstream/pass-through.js';
import type { UndiciForward } from '../upstream/undici-forward.js';
import type { BufferedCaller } from '../upstream/buffered-call.js';
import { parseJsonBody, readBody } from './read-body.js';
import { parseResponseBody, sendHookResponse, writeRaw } from './responses.js';

/** What a request whose operation has hooks needs from the engine proxy. */
export interface ChainedDeps {
  chain: HookChain;
  router: OperationRouter;
  unknown: 'pass' | 'deny';
  passThrough: PassThrough | UndiciForward;
  buffered: BufferedCaller;
  bodyLimit: number;
  log: Logger;
  daemonUrl: string;
}

/**
 * A request whose operation has hooks: the JSON body is read (bounded) when a hook wants it,
 * pre-hooks run (re-routing rewritten requests), then the request is forwarded — streaming, or
 * buffered when a post-hook needs the answer — and post-hooks run on the way back. Hooks that ran
 * are undone when the daemon refuses the request.
 */
export async function runChained(deps: ChainedDeps, req: IncomingMessage, res: ServerResponse, match: RouteMatch, plan: ChainPlan): Promise<void> {
  const opId = match.op!.id;
  const chain = deps.chain;
  const wantsBody = plan.needsRequestBody && match.op!.body === 'json';
  const rawBody = wantsBody ? await readBody(req, deps.bodyLimit) : undefined;
  const originalBody = rawBody ? parseJsonBody(rawBody, opId) : undefined;
  const q = (req.url ?? '/').indexOf('?');
  const ctx: HookContext = {
    side: 'engine',
    operation: opId,
    params: match.params,
    request: {
      method: req.method ?? 'GET',
      path: q === -1 ? req.url ?? '/' : req.url!.slice(0, q),
      query: match.query,
      headers: { ...req.headers },
      body: originalBody,
    },
    log: deps.log.child({ op: opId }),
    signal: new AbortController().signal,
    state: new Map<string, unknown>([[DAEMON_ACCESS_KEY, daemonAccess(deps)]]),
  };

  const { ran, answered } = await runPreRouted(ctx, {
    plan,
    planFor: (op) => chain.planFor(op),
    route: (method, url) => reroute(deps, method, url),
  });
  if (answered) {
    sendHookResponse(res, ctx.response!);
    return;
  }
  const url = ctx.request.query ? `${ctx.request.path}?${ctx.request.query}` : ctx.request.path;
  const bodyChanged = ctx.request.body !== originalBody;
  // A rewritten body is re-serialised; an untouched one goes out as the client's own bytes.
  const body = bodyChanged
    ? Buffer.from(ctx.request.body === undefined ? '' : JSON.stringify(ctx.request.body))
    : rawBody;
  if (bodyChanged && ctx.request.body !== undefined) ctx.request.headers['content-type'] = 'application/json';

  if (!ran.some((h) => h.needsResponse)) {
    req.method = ctx.request.method;
    req.url = url;
    if (bodyChanged) req.headers['content-type'] = ctx.request.headers['content-type'] as string | undefined;
    deps.passThrough.forward(req, res, body ? { body } : undefined);
    res.once('close', () => {
      if (res.statusCode >= 400) void runUndo(ran, ctx);
    });
    return;
  }

  let upstream;
  try {
    upstream = await deps.buffered.call(ctx.request.method, url, ctx.request.headers, body, deps.bodyLimit);
  } catch (err) {
    await runUndo(ran, ctx);
    throw new PlugchainError('PLUGCHAIN_UPSTREAM_UNREACHABLE', `plugchain: cannot reach the Docker daemon at ${deps.daemonUrl}: ${(err as Error).message}`, { cause: err });
  }
  ctx.response = { status: upstream.status, headers: upstream.headers, body: parseResponseBody(upstream.headers, upstream.body) };
  const before = { ...ctx.response };
  await runPost(ran, ctx);
  if (ctx.response.status >= 400 && upstream.status >= 400) await runUndo(ran, ctx);
  const r = ctx.response;
  if (r.body === before.body && r.status === before.status && r.headers === before.headers) {
    writeRaw(res, upstream.status, upstream.headers, upstream.body);
  } else sendHookResponse(res, r);
}

/** Routes a request line a hook rewrote; refuses what plugchain would refuse from a client. */
function reroute(deps: ChainedDeps, method: string, url: string): RerouteVerdict {
  const routed = deps.router.route(method, url);
  if (!routed.ok) return { ok: false, reason: `non-canonical path: ${routed.reason}` };
  const op = routed.match.op;
  if (!op) {
    if (deps.unknown === 'deny') return { ok: false, reason: 'not a known Engine API operation and unknown operations are denied' };
    return { ok: true, operation: 'Unknown', params: {} };
  }
  if (op.body === 'hijack' || op.body === 'tar' || op.body === 'stream') {
    return { ok: false, reason: `${op.id} carries a ${op.body} body, which a rewritten request cannot` };
  }
  return { ok: true, operation: op.id, params: routed.match.params };
}

/** The daemon as engine-side hooks may use it (chain profiles inspect containers with it). */
function daemonAccess(deps: ChainedDeps): DaemonAccess {
  return {
    call: async (method, path, body) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers = payload ? { 'content-type': 'application/json' } : {};
      const r = await deps.buffered.call(method, path, headers, payload, deps.bodyLimit);
      return { status: r.status, body: parseResponseBody(r.headers, r.body) };
    },
  };
}
