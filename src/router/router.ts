import { OPERATIONS, type OperationSpec } from './operations.js';
import { checkCanonicalPath } from './path-rules.js';

export interface RouteMatch {
  readonly op: OperationSpec | null;
  /** The API version prefix, e.g. "1.41", or null when the path had none. */
  readonly version: string | null;
  /** Path without the version prefix and without the query string. */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: string;
}

export type RouteResult = { ok: true; match: RouteMatch } | { ok: false; reason: string };

interface Compiled {
  readonly op: OperationSpec;
  readonly regex: RegExp;
  readonly names: readonly string[];
}

const VERSION_PREFIX = /^\/v(\d+\.\d+)(?=\/)/;

function compileTemplate(template: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split('/')
    .map((seg) => {
      const m = /^\{(\w+)(\*?)\}$/.exec(seg);
      if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return m[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { regex: new RegExp(`^${source}$`), names };
}

/**
 * Compiles the operation table once. Lookup is by method, then by first path segment, so a
 * request is compared with a handful of templates at most.
 */
export class OperationRouter {
  private readonly buckets = new Map<string, Compiled[]>();

  constructor(operations: ReadonlyArray<OperationSpec> = OPERATIONS) {
    for (const op of operations) {
      const { regex, names } = compileTemplate(op.template);
      const key = `${op.method} ${firstSegment(op.template)}`;
      let list = this.buckets.get(key);
      if (!list) this.buckets.set(key, (list = []));
      list.push({ op, regex, names });
    }
  }

  route(method: string, url: string): RouteResult {
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);
    const verdict = checkCanonicalPath(rawPath);
    if (!verdict.ok) return verdict;
    let path = rawPath;
    let version: string | null = null;
    const v = VERSION_PREFIX.exec(rawPath);
    if (v) {
      version = v[1]!;
      path = rawPath.slice(v[0].length);
    }
    const list = this.buckets.get(`${method} ${firstSegment(path)}`);
    if (list) {
      for (const c of list) {
        const m = c.regex.exec(path);
        if (!m) continue;
        const params: Record<string, string> = {};
        c.names.forEach((name, i) => {
          params[name] = decodeURIComponent(m[i + 1]!);
        });
        return { ok: true, match: { op: c.op, version, path, params, query } };
      }
    }
    return { ok: true, match: { op: null, version, path, params: {}, query } };
  }
}

function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return end === -1 ? path : path.slice(0, end);
}
