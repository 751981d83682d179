import type { Ajv2020, AnySchemaObject } from 'ajv/dist/2020.js';
import type { DataValidationCxt } from 'ajv/dist/types/index.js';

/**
 * dockerd (Go encoding/json) matches object keys case-insensitively; JSON Schema does not. Two
 * keys that differ only in case, or a case variant of a property the schema names, would let a
 * value reach dockerd without being checked. Every object schema with `properties` gets the
 * `x-key-case` keyword at load time; free-form maps (labels, driver options) have no `properties`
 * and are left alone, as are keys the schema does not know in any case (dockerd ignores them too).
 */
export const KEY_CASE_KEYWORD = 'x-key-case';

export function addKeyCaseKeyword(ajv: Ajv2020): void {
  ajv.addKeyword({
    keyword: KEY_CASE_KEYWORD,
    // Untyped and placed before the applicators, so a case-variant key is reported before any rule
    // (an `if`/`else`, a `required`) that it would otherwise trip as a confusing side effect.
    before: 'not',
    schemaType: 'boolean',
    errors: true,
    validate: function check(_schema: boolean, data: unknown, parentSchema?: AnySchemaObject, cxt?: DataValidationCxt) {
      if (!data || typeof data !== 'object' || Array.isArray(data)) return true;
      const props = Object.keys((parentSchema?.properties as Record<string, unknown> | undefined) ?? {});
      const canon = new Map(props.map((p) => [p.toLowerCase(), p]));
      const seen = new Map<string, string>();
      for (const key of Object.keys(data as Record<string, unknown>)) {
        const lower = key.toLowerCase();
        const prior = seen.get(lower);
        let message: string | null = null;
        if (prior !== undefined) message = `"${key}" and "${prior}" differ only in case (dockerd reads them as one key)`;
        else {
          const c = canon.get(lower);
          if (c !== undefined && c !== key) message = `"${key}" must be spelled "${c}" (dockerd would read it as "${c}")`;
        }
        seen.set(lower, key);
        if (message) {
          // The pointer names the offending key itself, not the object holding it.
          const instancePath = `${cxt?.instancePath ?? ''}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
          (check as unknown as { errors: unknown[] }).errors = [{ keyword: 'key-case', message, params: { key }, instancePath }];
          return false;
        }
      }
      return true;
    },
  });
}

/** Adds `x-key-case: true` next to every `properties` in a schema document (in place). */
export function markObjectSchemas(schema: unknown): void {
  if (Array.isArray(schema)) {
    for (const s of schema) markObjectSchemas(s);
    return;
  }
  if (!schema || typeof schema !== 'object') return;
  const obj = schema as Record<string, unknown>;
  if (obj.properties && typeof obj.properties === 'object' && !Array.isArray(obj.properties)) {
    obj[KEY_CASE_KEYWORD] = true;
    for (const v of Object.values(obj.properties as Record<string, unknown>)) markObjectSchemas(v);
  }
  for (const [k, v] of Object.entries(obj)) if (k !== 'properties') markObjectSchemas(v);
}
