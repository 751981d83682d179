/** Thrown by a handler for a request it cannot use; the server answers HTTP 400 with `Err`. */
export class PluginRequestError extends Error {
  override readonly name = 'PluginRequestError';
}

/** A required non-empty string field of a decoded request. */
export function requireString(req: object, field: string): string {
  const v = (req as Record<string, unknown>)[field];
  if (typeof v !== 'string' || v === '') throw new PluginRequestError(`request field ${field} is required`);
  return v;
}

/** An optional string field ("" and null count as absent). */
export function optionalString(req: object, field: string): string | undefined {
  const v = (req as Record<string, unknown>)[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new PluginRequestError(`request field ${field} must be a string`);
  return v;
}

/** A map field that dockerd may send as null (Go nil map). */
export function optionalMap<T = unknown>(req: object, field: string): Record<string, T> {
  const v = (req as Record<string, unknown>)[field];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new PluginRequestError(`request field ${field} must be an object`);
  return v as Record<string, T>;
}
