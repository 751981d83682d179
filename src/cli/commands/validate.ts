import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatViolation, getSchemas, type SchemaRegistry, type Violation } from '../../schemas/registry.js';

/** Exit codes: everything conforms / something broke a rule / the input could not be read. */
export const EXIT_OK = 0;
export const EXIT_VIOLATIONS = 1;
export const EXIT_UNREADABLE = 2;

export interface ValidateReport {
  /** One line per finding, ready to print (`line 3: VolumeDriver.Mount.response: /Mountpoint …`). */
  lines: string[];
  /** Messages checked against a schema. */
  checked: number;
  violations: number;
  /** Lines that could not be read (not JSON, no method, …). */
  unreadable: number;
  /** Exchanges whose method has no schema here (LogDriver.*, …): reported, not failed. */
  skipped: number;
}

interface RecordedExchange {
  method?: unknown;
  request?: unknown;
  response?: { status?: unknown; body?: unknown };
}

const emptyReport = (): ValidateReport => ({ lines: [], checked: 0, violations: 0, unreadable: 0, skipped: 0 });

/**
 * Checks a recorded exchange file: one JSON object per line, as the shim's `record` option writes
 * (`{"ts","plugin","method","request","response":{"status","body"},"durationMs"}`). The request is
 * checked against `<method>.request`; a 200 answer against `<method>.response`. Any other status
 * is an error answer to dockerd: a 2xx other than 200 is reported (dockerd fails it, P2), and an
 * error body's `Err` must be a string. A missing or `""` body on 200 is the empty-body pitfall (P1).
 */
export function validateExchanges(text: string, schemas: SchemaRegistry = getSchemas()): ValidateReport {
  const report = emptyReport();
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (raw.trim() === '') return;
    let ex: RecordedExchange;
    try {
      ex = JSON.parse(raw) as RecordedExchange;
    } catch (err) {
      report.unreadable++;
      report.lines.push(`line ${n}: not JSON: ${(err as Error).message}`);
      return;
    }
    if (!ex || typeof ex !== 'object' || typeof ex.method !== 'string' || !ex.response || typeof ex.response !== 'object' || typeof ex.response.status !== 'number') {
      report.unreadable++;
      report.lines.push(`line ${n}: not an exchange record (needs "method" and "response": {"status", "body"})`);
      return;
    }
    const requestId = `${ex.method}.request`;
    const responseId = `${ex.method}.response`;
    if (!schemas.has(requestId) || !schemas.has(responseId)) {
      report.skipped++;
      report.lines.push(`line ${n}: ${ex.method}: no schema for this method, not checked`);
      return;
    }
    const add = (id: string, found: Violation[]) => {
      report.checked++;
      report.violations += found.length;
      for (const v of found) report.lines.push(`line ${n}: ${formatViolation(id, v)}`);
    };
    add(requestId, schemas.check(requestId, ex.request === undefined ? null : ex.request));
    add(responseId, checkAnswer(responseId, ex.response.status, ex.response, schemas));
  });
  return report;
}

function checkAnswer(id: string, status: number, response: { body?: unknown }, schemas: SchemaRegistry): Violation[] {
  const hasBody = 'body' in response && response.body !== '';
  if (status === 200) return schemas.check(id, hasBody ? response.body : undefined);
  if (status >= 200 && status < 300) {
    return [{ pointer: '/', rule: `status: ${status} is a failure to dockerd; success must be exactly HTTP 200`, schemaPath: '#' }];
  }
  const body = response.body;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const err = (body as Record<string, unknown>).Err;
    if (err !== undefined && typeof err !== 'string') {
      return [{ pointer: '/Err', rule: `type: must be string (dockerd reads a non-200 answer as {"Err": string})`, schemaPath: '#' }];
    }
  }
  return [];
}

/** Checks one message (the whole input is one JSON document; empty input is "no body"). */
export function validateMessage(messageId: string, text: string, schemas: SchemaRegistry = getSchemas()): ValidateReport {
  const report = emptyReport();
  let value: unknown;
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch (err) {
      report.unreadable++;
      report.lines.push(`not JSON: ${(err as Error).message}`);
      return report;
    }
  }
  const found = schemas.check(messageId, value);
  report.checked = 1;
  report.violations = found.length;
  report.lines.push(...found.map((v) => formatViolation(messageId, v)));
  return report;
}

export function exitCodeOf(r: ValidateReport): number {
  if (r.unreadable > 0) return EXIT_UNREADABLE;
  return r.violations > 0 ? EXIT_VIOLATIONS : EXIT_OK;
}

export function summaryOf(r: ValidateReport): string {
  const parts = [`${r.checked} message${r.checked === 1 ? '' : 's'} checked`, `${r.violations} violation${r.violations === 1 ? '' : 's'}`];
  if (r.skipped) parts.push(`${r.skipped} skipped (no schema)`);
  if (r.unreadable) parts.push(`${r.unreadable} unreadable`);
  return `${parts.join(', ')}${r.violations === 0 && r.unreadable === 0 ? ': all conform' : ''}`;
}

function readInput(file: string): string {
  return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
}

const HELP = `
Input:
  <file>   an NDJSON exchange log, one call per line, as written by a shim with "record": 
             {"ts":"…","plugin":"…","method":"VolumeDriver.Mount","request":{…}|null,
              "response":{"status":200,"body":{…}|"text"},"durationMs":1.2}
           the request is checked against <method>.request and a 200 answer against
           <method>.response; a 201/204 answer is reported (dockerd only accepts 200);
           a missing or "" body on 200 is reported (dockerd cannot decode an empty answer).
  -        read standard input instead of a file.
  --message <id>  check <file> as ONE message instead, e.g. VolumeDriver.Mount.response,
           IpamDriver.RequestPool.request, VolumeCreate.request; an empty file is "no body".

Output: one line per violation ("line 3: VolumeDriver.Mount.response: /Mountpoint type:
must be string"), then a summary line.

Exit status: 0 all messages conform, 1 at least one violation, 2 the input could not be read
(missing file, a line that is not JSON, an unknown message id).

Key case: dockerd reads JSON keys case-insensitively, so "mountpoint" or a second "name" next to
"Name" is reported: a case variant would carry a value past the checks.

Examples:
  plugchain validate run/volume-plugin.ndjson
  plugchain validate --message VolumeDriver.Get.response answer.json
  curl -s --unix-socket /run/docker/plugins/x.sock -XPOST http://p/VolumeDriver.List \\
    | plugchain validate --message VolumeDriver.List.response -
`;

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a recorded exchange file (NDJSON) or one message against the schemas, offline')
    .argument('<file>', 'file to check, or - for standard input')
    .option('-m, --message <id>', 'check one message, e.g. VolumeDriver.Mount.response')
    .addHelpText('after', HELP)
    .action((file: string, flags: { message?: string }) => {
      const schemas = getSchemas();
      if (flags.message && !schemas.has(flags.message)) {
        process.stderr.write(`plugchain validate: no schema for message "${flags.message}". Known ids end in .request or .response, e.g. ${schemas.messageIds.filter((m) => m.startsWith('VolumeDriver.Mount')).join(', ')}\n`);
        process.exitCode = EXIT_UNREADABLE;
        return;
      }
      let text: string;
      try {
        text = readInput(file);
      } catch (err) {
        process.stderr.write(`plugchain validate: cannot read ${file === '-' ? 'standard input' : file}: ${(err as Error).message}\n`);
        process.exitCode = EXIT_UNREADABLE;
        return;
      }
      const report = flags.message ? validateMessage(flags.message, text, schemas) : validateExchanges(text, schemas);
      const out = report.lines.length ? `${report.lines.join('\n')}\n` : '';
      process.stdout.write(`${out}${summaryOf(report)}\n`);
      process.exitCode = exitCodeOf(report);
    });
}
