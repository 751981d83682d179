import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Powerstrip message an adapter received. */
export interface AdapterCall {
  path: string;
  message: {
    PowerstripProtocolVersion: number;
    Type: 'pre-hook' | 'post-hook';
    ClientRequest: { Method: string; Request: string; Body: string | null };
    ServerResponse?: { ContentType: string | null; Body: string | null; Code: number };
  };
}

type Reply = (res: http.ServerResponse, msg: AdapterCall['message']) => void;

const json = (res: http.ServerResponse, status: number, doc: unknown) => {
  const text = JSON.stringify(doc);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};
const echoPre = (msg: AdapterCall['message'], change: Partial<AdapterCall['message']['ClientRequest']> = {}) =>
  ({ PowerstripProtocolVersion: 1, ModifiedClientRequest: { ...msg.ClientRequest, ...change } });

/**
 * Small Powerstrip adapters, one per URL path, as plain node:http handlers written for these
 * tests. Each records the messages it got.
 */
const BEHAVIOURS: Record<string, Reply> = {
  /** pre: adds a label to a container create body. */
  '/label': (res, msg) => {
    const body = JSON.parse(msg.ClientRequest.Body ?? '{}');
    body.Labels = { ...(body.Labels ?? {}), 'plugchain.adapter': 'label' };
    json(res, 200, echoPre(msg, { Body: JSON.stringify(body) }));
  },
  /** pre: renames the container through the query (?name=…-renamed). */
  '/rename': (res, msg) => {
    const [path, query] = msg.ClientRequest.Request.split('?');
    const q = new URLSearchParams(query);
    q.set('name', `${q.get('name')}-renamed`);
    json(res, 200, echoPre(msg, { Request: `${path}?${q}` }));
  },
  /** pre: turns DELETE /volumes/{name} into GET (inspect): method rewrite, re-routed. */
  '/delete-to-inspect': (res, msg) => json(res, 200, echoPre(msg, { Method: 'GET' })),
  /** pre: turns a volume create into a network create whose body breaks the NetworkCreate schema. */
  '/volume-to-network': (res, msg) => {
    const version = /^\/v[\d.]+/.exec(msg.ClientRequest.Request)?.[0] ?? '';
    json(res, 200, echoPre(msg, { Request: `${version}/networks/create`, Body: JSON.stringify({ Driver: 'null' }) }));
  },
  /** pre: echoes (used to see which operations reach it). */
  '/echo': (res, msg) => json(res, 200, msg.Type === 'pre-hook'
    ? echoPre(msg)
    : { PowerstripProtocolVersion: 1, ModifiedServerResponse: msg.ServerResponse }),
  /** post: 202, its own content type, a field added to dockerd's JSON answer. */
  '/code': (res, msg) => {
    const body = JSON.parse(msg.ServerResponse!.Body || '{}');
    body.Adapter = 'code';
    json(res, 200, { PowerstripProtocolVersion: 1, ModifiedServerResponse: { ContentType: 'application/json; charset=utf-8', Body: JSON.stringify(body), Code: 202 } });
  },
  /** post: plain text instead of dockerd's JSON. */
  '/text': (res) => json(res, 200, { PowerstripProtocolVersion: 1, ModifiedServerResponse: { ContentType: 'text/plain', Body: 'rewritten by an adapter', Code: 203 } }),
  '/fail': (res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('adapter exploded');
  },
  '/deny': (res) => json(res, 403, { message: 'label policy says no' }),
  /** Never answers (the test's timeoutMs ends it). */
  '/hang': () => undefined,
  '/not-json': (res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>hello</html>');
  },
  /** JSON, but not a v1 answer: no ModifiedClientRequest. */
  '/wrong-shape': (res) => json(res, 200, { PowerstripProtocolVersion: 1, ClientRequest: { Method: 'POST' } }),
  /** A v1 answer whose Body is not a JSON document. */
  '/bad-body': (res, msg) => json(res, 200, echoPre(msg, { Body: '{"Image": ' })),
};

export interface AdapterServer {
  url(name: keyof typeof BEHAVIOURS | string): string;
  calls: AdapterCall[];
  callsTo(name: string): AdapterCall[];
  close(): Promise<void>;
}

export async function startAdapters(): Promise<AdapterServer> {
  const calls: AdapterCall[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const message = JSON.parse(raw) as AdapterCall['message'];
      const path = req.url ?? '/';
      calls.push({ path, message });
      const behaviour = BEHAVIOURS[path];
      if (!behaviour) return json(res, 404, { message: `no adapter at ${path}` });
      behaviour(res, message);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (name) => `http://127.0.0.1:${port}${name}`,
    calls,
    callsTo: (name) => calls.filter((c) => c.path === name),
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** A raw Engine API call over the proxy's unix socket, as an SDK would make it. */
export function engineCall(host: string, method: string, path: string, body?: string): Promise<{ status: number; contentType: string; text: string; json: unknown }> {
  const socketPath = host.replace(/^unix:\/\//, '');
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = http.request({ socketPath, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* keep the text */
        }
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text, json: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
