import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { defaultSchemaDir } from '../schemas/registry.js';
import type { JournalEntry } from './move-types.js';

/**
 * schemas/move-journal.json, compiled once. The journal is checked on write (a bug never reaches
 * the store) and on replay (a store edited by hand, or by an older plugchain, is refused rather
 * than half-understood).
 */
let validate: ValidateFunction | null = null;

function validator(): ValidateFunction {
  if (validate) return validate;
  const ajv = new Ajv2020({ strict: true, allErrors: false });
  (addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
  const doc = JSON.parse(readFileSync(join(defaultSchemaDir(), 'move-journal.json'), 'utf8')) as object;
  validate = ajv.compile(doc);
  return validate;
}

export class JournalSchemaError extends Error {}

export function checkJournalEntry(value: unknown, where: string): JournalEntry {
  const v = validator();
  if (!v(value)) {
    const e = v.errors?.[0];
    throw new JournalSchemaError(`move journal entry ${where} breaks schemas/move-journal.json: ${e?.instancePath || '/'} ${e?.message ?? 'invalid'}`);
  }
  return value as JournalEntry;
}
