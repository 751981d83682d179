import type { ServerResponse } from 'node:http';
import { PlugchainError } from './plugchain-error.js';

/** Engine API error body, as dockerd writes it: `{"message": "..."}`. */
export function engineErrorBody(err: PlugchainError): string {
  return JSON.stringify({ message: err.message });
}

/** Sends an Engine API error unless the response head is already gone. */
export function sendEngineError(res: ServerResponse, err: PlugchainError): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  const body = engineErrorBody(err);
  res.writeHead(err.status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'X-Plugchain-Error': err.code,
  });
  res.end(body);
}

/**
 * Plugin protocol error body. dockerd reads `Err` for every subsystem on a non-200 answer and for
 * VolumeDriver/NetworkDriver on 200; IPAM reads `Error` on 200. Both keys are set so that either
 * reading finds the text.
 */
export function pluginErrorBody(message: string): string {
  return JSON.stringify({ Err: message, Error: message });
}
