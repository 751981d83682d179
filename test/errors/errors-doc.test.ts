import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors/plugchain-error.js';

const doc = readFileSync(resolve(import.meta.dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
const rows = new Map([...doc.matchAll(/^\| `(PLUGCHAIN_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]));

describe('docs/errors.md', () => {
  it('documents every error code with its status', () => {
    for (const [code, status] of Object.entries(ERROR_CODES)) {
      expect(rows.get(code), `${code} missing from docs/errors.md`).toBe(status);
    }
  });

  it('documents no code that does not exist', () => {
    for (const code of rows.keys()) expect(Object.keys(ERROR_CODES)).toContain(code);
  });
});
