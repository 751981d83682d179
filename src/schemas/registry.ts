import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { addKeyCaseKeyword, markObjectSchemas } from './key-case.js';
import { addAddressFormats } from './formats.js';

/**
 * Annotation keywords plugchain's schema files may carry. `x-message` names a whole file as one
 * message; `x-rule` on a subschema replaces ajv's generic text when that subschema fails, so a
 * violation can say *which protocol fact* was broken (e.g. IPAM's `Error` vs `Err`).
 */
export const ANNOTATION_KEYWORDS = ['x-message', 'x-rule'] as const;

/** What `check` reports for an empty body where dockerd needs a JSON document. */
export const EMPTY_BODY_RULE = 'body: a JSON body is required (dockerd fails an empty 200 body: "unexpected end of JSON input")';

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
    // verbose: errors carry their parent schema, which is where `x-rule` lives.
    const ajv = new Ajv2020({ strict: true, allErrors: false, allowUnionTypes: true, verbose: true });
    const addFormats = addFormatsModule as unknown as (a: Ajv2020) => void;
    addFormats(ajv);
    addAddressFormats(ajv);
    addKeyCaseKeyword(ajv);
    ajv.addVocabulary([...ANNOTATION_KEYWORDS]);
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
   *
   * `undefined` means "there was no body at all". For a `.request` it is checked as `null` (dockerd
   * sends argument-less calls with an empty body, and those schemas accept `null`); for a
   * `.response` it is a violation, because dockerd cannot decode an empty 200 body (P1).
   */
  check(messageId: string, value: unknown): Violation[] {
    const validate = this.validators.get(messageId);
    if (!validate) throw new Error(`no schema for message ${messageId}`);
    if (value === undefined) {
      if (messageId.endsWith('.response')) return [{ pointer: '/', rule: EMPTY_BODY_RULE, schemaPath: '#' }];
      if (messageId.endsWith('.request')) value = null;
    }
    if (validate(value)) return [];
    const errors = validate.errors ?? [];
    // A failed `if` branch or property name is always reported with the inner error too: keep that.
    const specific = errors.filter((e) => e.keyword !== 'if' && e.keyword !== 'propertyNames');
    return (specific.length > 0 ? specific : errors).map(toViolation);
  }
}

interface SchemaDoc {
  $id?: string;
  'x-message'?: string;
  $defs?: Record<string, unknown>;
}

function toViolation(e: ErrorObject): Violation {
  let where = e.instancePath === '' ? '/' : e.instancePath;
  // propertyNames errors point at the object; name the offending key.
  if (e.propertyName !== undefined) where = `${e.instancePath}/${e.propertyName.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  // An `x-rule` explains the value rules of its subschema (format, pattern, not, …); a wrong JSON
  // type and a key-case message are clearer in ajv's / key-case.ts's own words.
  const custom = e.keyword === 'key-case' || e.keyword === 'type' ? undefined : (e.parentSchema as Record<string, unknown> | undefined)?.['x-rule'];
  let rule = `${e.keyword}: ${typeof custom === 'string' ? custom : e.message ?? 'invalid'}`;
  if (typeof custom === 'string') return { pointer: where, rule, schemaPath: e.schemaPath };
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
