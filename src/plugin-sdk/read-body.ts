/**
 * Decodes a plugin request body. dockerd sends no Content-Type and an empty body for no-argument
 * methods (P3, P5); both are accepted for every method, an empty body decoding to `{}`.
 */
export function decodeRequest(body: Buffer): object {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  const value: unknown = JSON.parse(text);
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error('request body must be a JSON object');
  return value as object;
}
