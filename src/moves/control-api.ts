import type { IncomingMessage, ServerResponse } from 'node:http';
import { PlugchainError, toPlugchainError } from '../errors/plugchain-error.js';
import { sendEngineError } from '../errors/wire.js';
import type { MoveCoordinator } from './move-coordinator.js';
import type { DatasetHolds } from './dataset-holds.js';
import { refuse } from './move-errors.js';

/**
 * plugchain's own HTTP API on the engine listener, under /plugchain/v1/:
 *   GET  /plugchain/v1/info                  { self, moves }     (who answers here)
 *   POST /plugchain/v1/moves                 { container, to, stopTimeoutSec? } → 202 { id, state }
 *   GET  /plugchain/v1/moves                 [ { id, container, from, to, state, … } ]
 *   GET  /plugchain/v1/moves/<id>            { …, steps: [ { name, state, ms, … } ] }
 *   POST /plugchain/v1/datasets/hold         { driver, name, holdId }  (used by the moving host)
 *   POST /plugchain/v1/datasets/release      { driver, name, holdId }
 * Errors are Docker-style `{"message": "…"}`.
 */
export interface ControlApiOptions {
  self: string;
  coordinator: MoveCoordinator | null;
  holds: DatasetHolds;
  /** Why moves are off when there is no coordinator. */
  disabledReason?: string;
}

export type ControlHandler = (req: IncomingMessage, res: ServerResponse) => void;

const BODY_LIMIT = 64 * 1024;

export function createControlHandler(o: ControlApiOptions): ControlHandler {
  return (req, res) => {
    route(o, req, res).catch((err) => sendEngineError(res, toPlugchainError(err, 'PLUGCHAIN_MOVE_FAILED')));
  };
}

async function route(o: ControlApiOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
  const method = req.method ?? 'GET';
  const moves = () => {
    if (!o.coordinator) throw refuse(o.disabledReason ?? 'moves are not configured on this host');
    return o.coordinator;
  };

  if (method === 'GET' && path === '/plugchain/v1/info') return send(res, 200, { self: o.self, moves: Boolean(o.coordinator) });
  if (path === '/plugchain/v1/moves') {
    if (method === 'GET') return send(res, 200, await moves().list());
    if (method === 'POST') {
      const body = await readJson(req);
      const container = body.container;
      const to = body.to;
      const stop = body.stopTimeoutSec;
      if (typeof container !== 'string' || !container || typeof to !== 'string' || !to) {
        throw new PlugchainError('PLUGCHAIN_VALIDATE_SCHEMA', 'plugchain: move: the body must be {"container": "<name or id>", "to": "<host>"}');
      }
      if (stop !== undefined && !(Number.isInteger(stop) && (stop as number) >= 0 && (stop as number) <= 600)) {
        throw new PlugchainError('PLUGCHAIN_VALIDATE_SCHEMA', 'plugchain: move: stopTimeoutSec must be an integer from 0 to 600');
      }
      return send(res, 202, await moves().start({ container, to, stopTimeoutSec: stop as number | undefined }));
    }
  }
  const one = /^\/plugchain\/v1\/moves\/([A-Za-z0-9-]+)$/.exec(path);
  if (one && method === 'GET') {
    const report = await moves().get(one[1]!);
    if (!report) throw new PlugchainError('PLUGCHAIN_NOT_FOUND', `plugchain: move: no such move: ${one[1]}`);
    return send(res, 200, report);
  }
  const hold = /^\/plugchain\/v1\/datasets\/(hold|release)$/.exec(path);
  if (hold && method === 'POST') {
    const body = await readJson(req);
    const { driver, name, holdId } = body;
    if (typeof driver !== 'string' || typeof name !== 'string' || typeof holdId !== 'string' || !/^plugchain-move-/.test(holdId)) {
      throw new PlugchainError('PLUGCHAIN_VALIDATE_SCHEMA', 'plugchain: datasets: the body must be {"driver", "name", "holdId": "plugchain-move-…"}');
    }
    try {
      if (hold[1] === 'hold') {
        await o.holds.release({ driver, name }, holdId); // at most one hold per ID
        const mountpoint = await o.holds.hold({ driver, name }, holdId);
        return send(res, 200, { Mountpoint: mountpoint });
      }
      await o.holds.release({ driver, name }, holdId);
      return send(res, 200, {});
    } catch (err) {
      throw new PlugchainError('PLUGCHAIN_MOVE_FAILED', `plugchain: datasets: host ${o.self}: ${(err as Error).message}`);
    }
  }
  throw new PlugchainError('PLUGCHAIN_NOT_FOUND', `plugchain: no such endpoint: ${method} ${path}`);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > BODY_LIMIT) throw new PlugchainError('PLUGCHAIN_BODY_TOO_LARGE', 'plugchain: control request body too large');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const v = text ? (JSON.parse(text) as unknown) : {};
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new PlugchainError('PLUGCHAIN_VALIDATE_BAD_JSON', 'plugchain: the request body is not a JSON object');
  }
}
