import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** One message in a fixture file; `absent: true` stands for "no body at all" (JSON has no undefined). */
export interface GoodCase {
  note?: string;
  value?: unknown;
  absent?: boolean;
}

export interface BadCase extends GoodCase {
  message: string;
  /** The JSON pointer the first matching violation must name. */
  pointer: string;
  /** A piece of the rule text a user would see. */
  rule: string;
  pitfall?: string;
}

export interface CaseFile {
  file: string;
  source: string;
  good: Record<string, GoodCase[]>;
  bad: BadCase[];
}

export const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures', 'messages');
export const SCHEMAS = resolve(import.meta.dirname, '..', '..', 'schemas');

export const bodyOf = (c: GoodCase): unknown => (c.absent ? undefined : c.value);

/** Every `cases` file: plugin/*.json, engine/cases.json, powerstrip/cases.json. */
export function loadCaseFiles(): CaseFile[] {
  const files = [
    ...readdirSync(join(FIXTURES, 'plugin')).map((f) => join('plugin', f)),
    join('engine', 'cases.json'),
    join('powerstrip', 'cases.json'),
  ];
  return files.map((file) => ({ file, ...(JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Omit<CaseFile, 'file'>) }));
}

export interface CapturedBody {
  file: string;
  messageId: string;
  captured: string;
  body: unknown;
}

/** Bodies the real docker CLI sent (engine/captured/<Operation>.<label>.json). */
export function loadCaptured(): CapturedBody[] {
  const dir = join(FIXTURES, 'engine', 'captured');
  return readdirSync(dir).sort().map((file) => {
    const doc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { captured: string; body: unknown };
    return { file, messageId: `${file.split('.')[0]}.request`, captured: doc.captured, body: doc.body };
  });
}

/** Message ids a schema file defines (its `$defs` named `<X>.request` / `<X>.response`). */
export function messageIdsOfSchemaFile(path: string): string[] {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { $defs?: Record<string, unknown> };
  return Object.keys(doc.$defs ?? {}).filter((k) => /\.(request|response)$/.test(k));
}
