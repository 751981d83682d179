import type { HookRequest, HookResponse } from '../chain/hook.js';
import { checkCanonicalPath } from '../router/path-rules.js';
import { adapterError } from './powerstrip-client.js';

/**
 * Powerstrip protocol v1 messages (schemas/powerstrip.json) and how their answers are applied to
 * the hook context. Bodies travel as JSON-encoded strings; `Request` is the URI with its query, as
 * the client sent it (version prefix included).
 */
export interface PsClientRequest {
  Method: string;
  Request: string;
  Body: string | null;
}

export interface PsServerResponse {
  ContentType: string | null;
  Body: string | null;
  Code: number;
}

export interface PsPreHookRequest {
  PowerstripProtocolVersion: 1;
  Type: 'pre-hook';
  ClientRequest: PsClientRequest;
}

export interface PsPostHookRequest {
  PowerstripProtocolVersion: 1;
  Type: 'post-hook';
  ClientRequest: PsClientRequest;
  ServerResponse: PsServerResponse;
}

export function uriOf(req: HookRequest): string {
  return req.query ? `${req.path}?${req.query}` : req.path;
}

function bodyText(body: unknown): string | null {
  return body === undefined ? null : JSON.stringify(body);
}

export function clientRequestOf(req: HookRequest): PsClientRequest {
  return { Method: req.method, Request: uriOf(req), Body: bodyText(req.body) };
}

export function preHookMessage(req: HookRequest): PsPreHookRequest {
  return { PowerstripProtocolVersion: 1, Type: 'pre-hook', ClientRequest: clientRequestOf(req) };
}

export function serverResponseOf(res: HookResponse): PsServerResponse {
  const ctype = res.headers['content-type'];
  const body = res.body === undefined ? '' : typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
  return { ContentType: ctype === undefined ? null : String(ctype), Body: body, Code: res.status };
}

export function postHookMessage(req: HookRequest, res: HookResponse): PsPostHookRequest {
  return { PowerstripProtocolVersion: 1, Type: 'post-hook', ClientRequest: clientRequestOf(req), ServerResponse: serverResponseOf(res) };
}

/**
 * Applies `ModifiedClientRequest` with the whole contract: method, path, query and body. Fields
 * the adapter left as they were keep their identity, so an echoing adapter changes nothing (the
 * proxy then forwards the client's own bytes). A Body that is not JSON, or a path plugchain would
 * refuse from a client, fails the request (502): the adapter is at fault, not the client.
 */
export function applyClientRequest(adapter: string, req: HookRequest, sent: PsClientRequest, got: PsClientRequest): void {
  if (got.Request !== sent.Request) {
    const q = got.Request.indexOf('?');
    const path = q === -1 ? got.Request : got.Request.slice(0, q);
    const verdict = checkCanonicalPath(path);
    if (!verdict.ok) throw adapterError(adapter, 502, `ModifiedClientRequest.Request "${got.Request}" is refused: ${verdict.reason}`);
    req.path = path;
    req.query = q === -1 ? '' : got.Request.slice(q + 1);
  }
  if (got.Method !== sent.Method) req.method = got.Method;
  if (got.Body !== sent.Body) {
    if (got.Body === null || got.Body.trim() === '') req.body = undefined;
    else {
      try {
        req.body = JSON.parse(got.Body);
      } catch (err) {
        throw adapterError(adapter, 502, `ModifiedClientRequest.Body is not a JSON document: ${(err as Error).message}`);
      }
    }
  }
}

/**
 * Applies `ModifiedServerResponse`: status code, content type and body all reach the client
 * (original Powerstrip kept dockerd's status and content type). A JSON content type with a body
 * that parses is kept parsed so later post-hooks see an object; anything else goes out verbatim.
 */
export function applyServerResponse(res: HookResponse, sent: PsServerResponse, got: PsServerResponse): void {
  if (got.Code === sent.Code && got.ContentType === sent.ContentType && got.Body === sent.Body) return;
  const headers = { ...res.headers };
  if (got.ContentType === null) delete headers['content-type'];
  else headers['content-type'] = got.ContentType;
  let body: unknown = got.Body ?? '';
  if (got.Body !== sent.Body || got.ContentType !== sent.ContentType) {
    if (got.ContentType?.includes('json') && typeof got.Body === 'string' && got.Body.trim() !== '') {
      try {
        body = JSON.parse(got.Body);
      } catch {
        body = got.Body;
      }
    }
  } else body = res.body;
  res.status = got.Code;
  res.headers = headers;
  res.body = body;
}
