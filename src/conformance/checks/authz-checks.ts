import type { Check, CheckContext } from '../types.js';
import { defineCheck, DIGEST } from './define-check.js';

const AUTHZ = 'authz' as const;
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** The request object dockerd builds for a client call (moby pkg/authorization/authz.go). */
function authzRequest(method: string, uri: string, body?: string): Record<string, unknown> {
  const req: Record<string, unknown> = {
    User: '',
    UserAuthNMethod: '',
    RequestMethod: method,
    RequestUri: uri,
    RequestHeaders: { 'User-Agent': 'Docker-Client/28.0.0 (linux)', ...(body ? { 'Content-Type': 'application/json' } : {}) },
  };
  if (body !== undefined) req['RequestBody'] = b64(body);
  return req;
}

/** The decision must be a boolean: a missing Allow decodes as false and denies every API call. */
function judgeDecision(ctx: CheckContext, method: string, body: Record<string, unknown>): void {
  const allow = body['Allow'];
  if (typeof allow !== 'boolean') ctx.fail(`${method} answered Allow ${JSON.stringify(allow)}; dockerd reads a missing Allow as false (deny) and a non-boolean fails the decode`, '{"Allow": true|false, "Msg"?: string}');
  const msg = body['Msg'];
  if (msg !== undefined && typeof msg !== 'string') ctx.fail(`Msg is ${JSON.stringify(msg)}`, 'a string');
  if (!allow) ctx.note(`${method} denied: ${JSON.stringify(msg ?? '')}${msg ? '' : ' (no Msg: users see an empty reason)'}`);
}

const request = defineCheck({
  id: 'authz.request',
  family: AUTHZ,
  title: 'AuthZReq answers an Allow decision',
  rule: 'AuthZPlugin.AuthZReq for a plain GET and for a POST with a base64 JSON RequestBody answers HTTP 200 {"Allow": bool, "Msg"?: string} ("Err" is ignored on 200)',
  source: `${DIGEST} §6 / moby pkg/authorization/api.go Request/Response, authz.go; cli-docs plugins_authorization.md`,
  async run(ctx: CheckContext) {
    judgeDecision(ctx, 'AuthZReq', await ctx.ok('AuthZPlugin.AuthZReq', authzRequest('GET', '/v1.47/containers/json')));
    judgeDecision(ctx, 'AuthZReq', await ctx.ok('AuthZPlugin.AuthZReq', authzRequest('POST', '/v1.47/volumes/create', '{"Name":"plugchain-conform"}\n')));
  },
});

const response = defineCheck({
  id: 'authz.response',
  family: AUTHZ,
  title: 'AuthZRes answers an Allow decision',
  rule: 'AuthZPlugin.AuthZRes (the request plus ResponseStatusCode, ResponseHeaders, base64 ResponseBody) answers HTTP 200 {"Allow": bool, "Msg"?: string}',
  source: `${DIGEST} §6 "AuthZRes" / moby pkg/authorization/authz.go AuthZResponse, middleware.go`,
  async run(ctx: CheckContext) {
    const req = {
      ...authzRequest('GET', '/v1.47/containers/json'),
      ResponseStatusCode: 200,
      ResponseHeaders: { 'Content-Type': 'application/json', 'Api-Version': '1.47' },
      ResponseBody: b64('[]\n'),
    };
    judgeDecision(ctx, 'AuthZRes', await ctx.ok('AuthZPlugin.AuthZRes', req));
  },
});

export const AUTHZ_CHECKS: readonly Check[] = [request, response];
