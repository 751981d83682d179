import type { CheckStatus, ConformReport } from '../types.js';
import { requestLine, responseLine } from './evidence-text.js';

const MARK: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', skip: 'skip' };

/** Human output: one row per check, then every failure with its rule, source and evidence. */
export function renderTable(report: ConformReport): string {
  const out: string[] = [];
  out.push(`plugchain conform — ${report.plugin.url} (found via ${report.plugin.foundVia})`);
  out.push(`Implements: ${JSON.stringify(report.implementsList)}   tested: ${report.kinds.join(', ') || '(none)'}`);
  out.push('');
  const idWidth = Math.max(2, ...report.results.map((r) => r.id.length));
  out.push(`STATUS  ${'ID'.padEnd(idWidth)}  TITLE`);
  for (const r of report.results) {
    const extra = r.status === 'skip' && r.notes[0] ? ` (${r.notes[0]})` : '';
    out.push(`${MARK[r.status].padEnd(6)}  ${r.id.padEnd(idWidth)}  ${r.title}${extra}`);
  }
  const failed = report.results.filter((r) => r.status === 'fail');
  for (const r of failed) {
    const f = r.failure!;
    out.push('', `FAIL ${r.id} — ${r.title}`);
    out.push(`  problem:  ${f.message}`);
    if (f.expected) out.push(`  expected: ${f.expected}`);
    out.push(`  rule:     ${r.rule}`);
    out.push(`  source:   ${r.source}`);
    if (f.evidence.length > 0) out.push('  evidence:');
    for (const ex of f.evidence) {
      out.push(`    → ${requestLine(ex)}`);
      out.push(`    ← ${responseLine(ex)}`);
    }
    for (const n of r.notes) out.push(`  note:     ${n}`);
  }
  for (const w of report.warnings) out.push('', `warning: ${w}`);
  const s = report.summary;
  out.push('', `${s.total} checks: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped (${report.durationMs} ms)`);
  return `${out.join('\n')}\n`;
}
