import { defineHook, type Hook } from '../chain/hook.js';
import { callAdapter, type AdapterTarget } from './powerstrip-client.js';
import {
  applyClientRequest, applyServerResponse, postHookMessage, preHookMessage,
  type PsClientRequest, type PsServerResponse,
} from './powerstrip-messages.js';

export interface PowerstripHookOptions {
  adapter: AdapterTarget;
  operations: readonly string[];
  stage: 'pre' | 'post' | 'both';
  /** Largest adapter answer read (bytes). */
  limit: number;
}

/** Extra time the runner allows beyond the adapter's own deadline, so the adapter's 504 wins. */
const RUNNER_MARGIN_MS = 2_000;

/**
 * An external hook speaking Powerstrip adapter protocol v1. Pre: the adapter gets the request as
 * the chain has it so far (earlier adapters' rewrites included) and its `ModifiedClientRequest`
 * replaces method, path, query and body. Post: the adapter gets the final request and dockerd's
 * answer (or what later post-hooks made of it) and its `ModifiedServerResponse` replaces status,
 * content type and body. Failures are Docker-style errors naming the adapter (powerstrip-client).
 */
export function powerstripHook(opts: PowerstripHookOptions): Hook {
  const { adapter, limit } = opts;
  const wantsPre = opts.stage !== 'post';
  const wantsPost = opts.stage !== 'pre';
  return defineHook({
    name: `powerstrip:${adapter.name}`,
    side: 'engine',
    operations: opts.operations,
    timeoutMs: adapter.timeoutMs + RUNNER_MARGIN_MS,
    needsRequestBody: true,
    needsResponse: wantsPost,
    pre: wantsPre
      ? async (ctx) => {
          const message = preHookMessage(ctx.request);
          const started = performance.now();
          const answer = (await callAdapter(adapter, 'pre-hook', message, { signal: ctx.signal, limit })) as {
            ModifiedClientRequest: PsClientRequest;
          };
          applyClientRequest(adapter.name, ctx.request, message.ClientRequest, answer.ModifiedClientRequest);
          ctx.log.debug({ adapter: adapter.name, ms: Math.round(performance.now() - started) }, 'powerstrip pre-hook');
        }
      : undefined,
    post: wantsPost
      ? async (ctx) => {
          const res = ctx.response!;
          const message = postHookMessage(ctx.request, res);
          const started = performance.now();
          const answer = (await callAdapter(adapter, 'post-hook', message, { signal: ctx.signal, limit })) as {
            ModifiedServerResponse: PsServerResponse;
          };
          applyServerResponse(res, message.ServerResponse, answer.ModifiedServerResponse);
          ctx.log.debug({ adapter: adapter.name, ms: Math.round(performance.now() - started) }, 'powerstrip post-hook');
        }
      : undefined,
  });
}
