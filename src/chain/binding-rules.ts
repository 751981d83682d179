import { OPERATIONS, type OperationSpec } from '../router/operations.js';

/**
 * Which operations a hook may be bound to, per stage. Decided at config load so that a binding
 * that could hang or buffer an unbounded stream never reaches a request.
 *
 * - Hijacked operations (attach, exec start, BuildKit session/grpc) switch to a raw byte pipe: no
 *   hook ever sees them.
 * - Pre-hooks run on operations whose request body is JSON or absent (tar/stream bodies are
 *   never buffered).
 * - Post-hooks additionally need a response that is bounded: the operations below answer with a
 *   stream (events, logs, stats, pulls, exports, wait) and are refused.
 */
export type BindingStage = 'pre' | 'post';

const STREAMING_RESPONSES: ReadonlySet<string> = new Set([
  'SystemEvents', 'ContainerLogs', 'ContainerStats', 'ContainerWait', 'ContainerExport', 'ContainerArchive',
  'ContainerAttach', 'ContainerAttachWebsocket', 'ExecStart', 'Session', 'Grpc',
  'ImageCreate', 'ImagePush', 'ImageGet', 'ImageGetAll', 'ImageBuild', 'ImageLoad',
  'PluginPull', 'PluginUpgrade', 'PluginPush', 'PluginCreate',
]);

const BY_ID: ReadonlyMap<string, OperationSpec> = new Map(OPERATIONS.map((op) => [op.id, op]));

export function operationSpec(id: string): OperationSpec | undefined {
  return BY_ID.get(id);
}

/** Why `stage` cannot be bound to `operation`, or null when it can. */
export function bindingRefusal(operation: string, stage: BindingStage): string | null {
  const op = BY_ID.get(operation);
  if (!op) return `unknown operation id "${operation}"${suggest(operation)}`;
  if (op.body === 'hijack') return `${operation} is a hijacked stream (raw byte pipe): hooks never run on it`;
  if (op.body === 'tar' || op.body === 'stream') return `${operation} carries a ${op.body} body, which is streamed, never buffered for hooks`;
  if (stage === 'post' && STREAMING_RESPONSES.has(operation)) {
    return `${operation} answers with an unbounded stream: post-hooks would have to buffer it`;
  }
  return null;
}

function suggest(id: string): string {
  const lower = id.toLowerCase();
  const close = OPERATIONS.map((o) => o.id).filter((o) => o.toLowerCase() === lower || o.toLowerCase().includes(lower) || lower.includes(o.toLowerCase()));
  return close.length > 0 ? ` (did you mean ${close.slice(0, 3).join(', ')}?)` : ' (operation ids are listed in src/router/operations.ts, e.g. ContainerCreate)';
}
