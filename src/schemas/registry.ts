import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { addKeyCaseKeyword, markObjectSchemas } from './key-case.js';

/** One broken rule: where (RFC 6901 pointer into the message) and which rule. */
export interface Violation {
  pointer: string;
  rule: string;
  schemaPath: string;
}

/**
 * Every JSON Schema under schemas/, compiled once. A message id (`VolumeDriver.Mount.request`,
 * `ContainerCreate.request`, `PlugchainConfig`) names a `$defs` entry of one schema file, or a
 * whole file whose `title` is the id.
 */
export class SchemaRegistry {
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly dir: string = defaultSchemaDir()) {
    const ajv = new Ajv2020({ strict: true, allErrors: false, allowUnionTypes: true });
    const addFormats = addFormatsModule as unknown as (a: Ajv2020) => void;
    addFormats(ajv);
    addKeyCaseKeyword(ajv);
    const files = listJson(dir);
    const docs = files.map((f) => {
      const doc = JSON.parse(readFileSync(f, 'utf8')) as SchemaDoc;
      if (!doc.$id) throw new Error(`schema ${relative(dir, f)} has no $id`);
      markObjectSchemas(doc);
      return { file: f, doc };
    });
    for (const { doc } of docs) ajv.addSchema(doc);
    for (const { file, doc } of docs) {
      const add = (id: string, ref: string) => {
        if (this.validators.has(id)) throw new Error(`message id ${id} is defined twice (second in ${relative(dir, file)})`);
        try {
          this.validators.set(id, ajv.getSchema(ref) ?? ajv.compile({ $ref: ref }));
        } catch (err) {
          throw new Error(`schema ${relative(dir, file)} (${id}) does not compile: ${(err as Error).message}`);
        }
      };
      if (doc['x-message']) add(doc['x-message'], doc.$id!);
      for (const name of Object.keys(doc.$defs ?? {})) {
        if (/\.(request|response)$/.test(name)) add(name, `${doc.$id}#/$defs/${name}`);
      }
    }
  }

  has(messageId: string): boolean {
    return this.validators.has(messageId);
  }

  get messageIds(): string[] {
    return [...this.validators.keys()].sort();
  }

  /**
   * Checks one message. Returns [] when it conforms. Key case is part of every object rule (see
   * key-case.ts): dockerd reads keys case-insensitively, so case variants are violations.
   */
  check(messageId: string, value: unknown): Violation[] {
    const validate = this.validators.get(messageId);
    if (!validate) throw new Error(`no schema for message ${messageId}`);
    if (validate(value)) return [];
    return (validate.errors ?? []).map(toViolation);
  }
}

interface SchemaDoc {
  $id?: string;
  'x-message'?: string;
  $defs?: Record<string, unknown>;
}

function toViolation(e: ErrorObject): Violation {
  const where = e.instancePath === '' ? '/' : e.instancePath;
  let rule = `${e.keyword}: ${e.message ?? 'invalid'}`;
  if (e.keyword === 'additionalProperties') rule += ` (${(e.params as { additionalProperty: string }).additionalProperty})`;
  if (e.keyword === 'enum') rule += ` (${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')})`;
  return { pointer: where, rule, schemaPath: e.schemaPath };
}

function listJson(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listJson(p));
    else if (name.endsWith('.json')) out.push(p);
  }
  return out;
}

/** schemas/ at the package root, whether running from src/ (tests) or dist/. */
export function defaultSchemaDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');
}

let shared: SchemaRegistry | null = null;

/** The process-wide registry, compiled on first use (start-up). */
export function getSchemas(): SchemaRegistry {
  shared ??= new SchemaRegistry();
  return shared;
}

/** "VolumeDriver.Mount.response: /Mountpoint type: must be string" */
export function formatViolation(messageId: string, v: Violation): string {
  return `${messageId}: ${v.pointer} ${v.rule}`;
}
