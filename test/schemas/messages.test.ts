import { describe, expect, it } from 'vitest';
import { formatViolation, getSchemas } from '../../src/schemas/registry.js';
import { bodyOf, loadCaptured, loadCaseFiles } from './cases.js';

const schemas = getSchemas();

describe.each(loadCaseFiles().map((c) => [c.file, c] as const))('%s', (_file, cases) => {
  const good = Object.entries(cases.good).flatMap(([id, list]) => list.map((g) => [id, g.note ?? JSON.stringify(bodyOf(g)) ?? '(no body)', g] as const));
  it.each(good)('accepts %s: %s', (id, _label, g) => {
    expect(schemas.check(id, bodyOf(g)).map((v) => formatViolation(id, v))).toEqual([]);
  });

  const bad = cases.bad.map((b) => [b.message, b.pitfall ? `${b.pitfall} ${b.note ?? ''}` : b.note ?? JSON.stringify(bodyOf(b)) ?? '(no body)', b] as const);
  it.each(bad)('rejects %s: %s', (id, _label, b) => {
    const found = schemas.check(id, bodyOf(b));
    expect(found.length, `expected a violation for ${JSON.stringify(bodyOf(b))}`).toBeGreaterThan(0);
    // The first violation is the one a user sees (enforce mode reports it alone).
    expect(found[0]!.pointer).toBe(b.pointer);
    expect(found[0]!.rule).toContain(b.rule);
  });
});

describe('Engine API bodies captured from the real docker CLI', () => {
  it.each(loadCaptured().map((c) => [c.file, c] as const))('%s conforms', (_file, c) => {
    expect(schemas.check(c.messageId, c.body).map((v) => formatViolation(c.messageId, v))).toEqual([]);
  });
});
