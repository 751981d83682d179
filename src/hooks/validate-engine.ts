import { defineHook, type Hook } from '../chain/hook.js';
import type { CheckMode } from '../config/config.js';
import { PlugchainError } from '../errors/plugchain-error.js';
import { noteViolations } from '../observability/violations.js';
import { getSchemas, type SchemaRegistry, type Violation } from '../schemas/registry.js';

/**
 * The Engine API operations whose bodies select volume drivers, networks and plugins, each with the
 * schema its JSON body is checked against (schemas/engine/).
 */
export const ENGINE_MESSAGES: Readonly<Record<string, string>> = Object.freeze({
  VolumeCreate: 'VolumeCreate.request',
  NetworkCreate: 'NetworkCreate.request',
  NetworkConnect: 'NetworkConnect.request',
  NetworkDisconnect: 'NetworkDisconnect.request',
  ContainerCreate: 'ContainerCreate.request',
  PluginPull: 'PluginPull.request',
  PluginSet: 'PluginSet.request',
});

export interface ValidateEngineOptions {
  mode: Exclude<CheckMode, 'off'>;
  /** Defaults to the process-wide registry. */
  schemas?: SchemaRegistry;
}

/** `plugchain: VolumeCreate: /DriverOpts/a type: must be string` */
export function engineViolationText(operation: string, v: Violation): string {
  return `plugchain: ${operation}: ${v.pointer} ${v.rule}`;
}

/**
 * The engine-side `validate` hook. `enforce` answers a violating request with 400 and the first
 * broken rule, so it never reaches dockerd; `warn` logs every violation and forwards the request.
 * Every violation is counted (observability/violations.ts) whatever the mode.
 *
 * A request without a body is not checked: dockerd answers that itself, and there is nothing in it
 * that could slip past a check.
 */
export function validateEngineHook(opts: ValidateEngineOptions): Hook {
  const schemas = opts.schemas ?? getSchemas();
  for (const id of Object.values(ENGINE_MESSAGES)) {
    if (!schemas.has(id)) throw new Error(`validate: no schema for ${id} under ${schemas.dir}`);
  }
  return defineHook({
    name: 'validate',
    side: 'engine',
    operations: Object.keys(ENGINE_MESSAGES),
    timeoutMs: 2_000,
    needsRequestBody: true,
    needsResponse: false,
    pre(ctx) {
      const body = ctx.request.body;
      if (body === undefined) return;
      const messageId = ENGINE_MESSAGES[ctx.operation];
      if (!messageId) return;
      const violations = schemas.check(messageId, body);
      if (violations.length === 0) return;
      noteViolations('engine', messageId, violations);
      const text = engineViolationText(ctx.operation, violations[0]!);
      if (opts.mode === 'enforce') throw new PlugchainError('PLUGCHAIN_VALIDATE_SCHEMA', text);
      ctx.log.warn({ schema: messageId, violations }, `${text} (validation mode warn: forwarded)`);
    },
  });
}
