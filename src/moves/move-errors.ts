import { PlugchainError } from '../errors/plugchain-error.js';

/** A move that is not started, with the reason (409, Docker-style `{"message": "plugchain: move: …"}`). */
export function refuse(reason: string): PlugchainError {
  return new PlugchainError('PLUGCHAIN_MOVE_REFUSED', `plugchain: move: ${reason}`);
}

export function notFound(reason: string): PlugchainError {
  return new PlugchainError('PLUGCHAIN_NOT_FOUND', `plugchain: move: ${reason}`);
}
