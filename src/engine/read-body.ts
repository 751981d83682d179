import type { IncomingMessage } from 'node:http';
import { PlugchainError } from '../errors/plugchain-error.js';

/** Reads a request body into memory, refusing (413) past `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): PlugchainError {
  return new PlugchainError('PLUGCHAIN_BODY_TOO_LARGE', `plugchain: request body larger than the ${limit}-byte limit for checked operations`);
}

/** Parses a JSON body; an empty body is `undefined`. */
export function parseJsonBody(buf: Buffer, operation: string): unknown {
  if (buf.length === 0) return undefined;
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new PlugchainError('PLUGCHAIN_VALIDATE_BAD_JSON', `plugchain: ${operation}: request body is not valid JSON: ${(err as Error).message}`);
  }
}
