import type { Logger } from 'pino';

/** Which side of plugchain a hook runs on. */
export type Side = 'engine' | 'plugin';

export interface HookRequest {
  method: string;
  /** Path without the query string; on the engine side it keeps the client's `/vX.Y` prefix. */
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined when the request had none. */
  body: unknown;
}

export interface HookResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body when the response was JSON, otherwise the raw text. */
  body: unknown;
}

export interface HookContext {
  readonly side: Side;
  /** Engine operation id (`ContainerCreate`) or plugin method (`VolumeDriver.Mount`). */
  readonly operation: string;
  readonly params: Readonly<Record<string, string>>;
  readonly request: HookRequest;
  /** Set once the upstream answered (post-hooks) or a pre-hook answered itself. */
  response?: HookResponse;
  readonly log: Logger;
  /** Aborted when the hook's time is up. */
  readonly signal: AbortSignal;
  /** Scratch space shared by the hooks of one request (e.g. what `undo` must revert). */
  readonly state: Map<string, unknown>;
}

export interface Hook {
  readonly name: string;
  /** Operation ids (engine) or `Type.Method` names (plugin) the hook applies to; `*` for all. */
  readonly operations: readonly string[] | '*';
  readonly side: Side;
  readonly timeoutMs: number;
  /** The hook reads the request body (the body is then buffered, with the size limit). */
  readonly needsRequestBody: boolean;
  /** The hook reads or rewrites the response (the response is buffered, JSON only). */
  readonly needsResponse: boolean;
  /** May rewrite ctx.request, or answer the request itself by setting ctx.response. */
  pre?(ctx: HookContext): Promise<void> | void;
  post?(ctx: HookContext): Promise<void> | void;
  /** Reverts what `pre` did, when a later hook or the upstream failed. */
  undo?(ctx: HookContext): Promise<void> | void;
}

export interface HookDefinition {
  name: string;
  operations: readonly string[] | '*';
  side?: Side;
  timeoutMs?: number;
  needsRequestBody?: boolean;
  needsResponse?: boolean;
  pre?: Hook['pre'];
  post?: Hook['post'];
  undo?: Hook['undo'];
}

export const DEFAULT_HOOK_TIMEOUT_MS = 10_000;

/** Checks a hook when it is declared, so a broken one stops start-up rather than a request. */
export function defineHook(def: HookDefinition): Hook {
  if (!/^[a-z][a-z0-9-]*(:[\w.-]+)?$/.test(def.name)) throw new TypeError(`hook name "${def.name}" must be kebab-case`);
  if (!def.pre && !def.post) throw new TypeError(`hook "${def.name}" has neither pre nor post`);
  if (def.operations !== '*' && def.operations.length === 0) throw new TypeError(`hook "${def.name}" names no operations`);
  const timeoutMs = def.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new TypeError(`hook "${def.name}" needs a positive timeout`);
  return Object.freeze({
    name: def.name,
    operations: def.operations,
    side: def.side ?? 'engine',
    timeoutMs,
    needsRequestBody: def.needsRequestBody ?? Boolean(def.pre),
    needsResponse: def.needsResponse ?? Boolean(def.post),
    pre: def.pre,
    post: def.post,
    undo: def.undo,
  });
}
