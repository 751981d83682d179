import http from 'node:http';

/** A JSON call to plugchain's own API (/plugchain/v1/…) on a unix socket. */
export interface ControlReply<T = unknown> {
  status: number;
  body: T;
}

export function controlCall<T = unknown>(socketPath: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 30_000): Promise<ControlReply<T>> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({
      socketPath, method, path, timeout: timeoutMs,
      headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {},
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          /* keep the text */
        }
        resolve({ status: res.statusCode ?? 0, body: parsed as T });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The `message` of a Docker-style error body, or the body as text. */
export function messageOf(reply: ControlReply): string {
  const b = reply.body as { message?: unknown } | string | null;
  if (b && typeof b === 'object' && typeof b.message === 'string') return b.message;
  return typeof b === 'string' ? b : JSON.stringify(b);
}
