import type { Server, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Graceful shutdown for an http.Server that is fed sockets by our own listeners (it never calls
 * listen(), so Node's closeIdleConnections/closeAllConnections do not see them). Tracks each
 * socket and whether a request is in flight on it: on drain, idle keep-alive sockets close at once,
 * busy ones after their response (or when the grace period ends).
 */
export class ConnectionTracker {
  private readonly busy = new Map<Socket, number>();
  private draining = false;

  constructor(server: Server) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const sock = req.socket;
      this.busy.set(sock, (this.busy.get(sock) ?? 0) + 1);
      if (this.draining) res.shouldKeepAlive = false;
      res.once('close', () => {
        const n = (this.busy.get(sock) ?? 1) - 1;
        if (!this.busy.has(sock)) return;
        this.busy.set(sock, n);
        if (n === 0 && this.draining) sock.destroy();
      });
    });
  }

  /** Registers a socket handed to the server; upgraded sockets leave through `forget`. */
  add(socket: Socket): void {
    this.busy.set(socket, 0);
    socket.once('close', () => this.busy.delete(socket));
  }

  forget(socket: Socket): void {
    this.busy.delete(socket);
  }

  /** Closes idle sockets now and the rest when done, or after `graceMs`. */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    for (const [sock, n] of this.busy) if (n === 0) sock.destroy();
    const deadline = Date.now() + graceMs;
    while (this.busy.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const sock of this.busy.keys()) sock.destroy();
  }
}
