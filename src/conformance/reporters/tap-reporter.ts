import { stringify } from 'yaml';
import type { ConformReport } from '../types.js';
import { exchangeData } from './evidence-text.js';

/** TAP version 13: plan first, one line per check, YAML diagnostics for failures and notes. */
export function renderTap(report: ConformReport): string {
  const out: string[] = ['TAP version 13', `1..${report.results.length}`];
  report.results.forEach((r, i) => {
    const n = i + 1;
    const desc = `${r.id} - ${r.title}`.replace(/#/g, '\\#');
    if (r.status === 'skip') {
      out.push(`ok ${n} ${desc} # SKIP ${(r.notes[0] ?? '').replace(/\n/g, ' ')}`);
      return;
    }
    out.push(`${r.status === 'pass' ? 'ok' : 'not ok'} ${n} ${desc}`);
    const diag: Record<string, unknown> = {};
    if (r.failure) {
      diag['message'] = r.failure.message;
      if (r.failure.expected) diag['expected'] = r.failure.expected;
      diag['rule'] = r.rule;
      diag['source'] = r.source;
      diag['evidence'] = r.failure.evidence.map(exchangeData);
    }
    if (r.notes.length > 0) diag['notes'] = r.notes;
    if (Object.keys(diag).length > 0) {
      diag['duration_ms'] = r.durationMs;
      out.push('  ---');
      for (const line of stringify(diag, { lineWidth: 0 }).trimEnd().split('\n')) out.push(`  ${line}`);
      out.push('  ...');
    }
  });
  for (const w of report.warnings) out.push(`# warning: ${w}`);
  const s = report.summary;
  out.push(`# ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
  return `${out.join('\n')}\n`;
}
