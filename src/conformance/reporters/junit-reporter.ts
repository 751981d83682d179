import type { CheckFamily, CheckResult, ConformReport } from '../types.js';
import { requestLine, responseLine } from './evidence-text.js';

const FAMILIES: CheckFamily[] = ['handshake', 'volume', 'network', 'ipam', 'authz'];

/** Escapes text for XML attributes and content, dropping characters XML 1.0 cannot hold. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

function testcase(r: CheckResult): string {
  const open = `    <testcase classname="plugchain.conform.${r.family}" name="${xmlEscape(r.id)}" time="${secs(r.durationMs)}">`;
  const props = `      <system-out>${xmlEscape([r.title, `rule: ${r.rule}`, `source: ${r.source}`, ...r.notes.map((n) => `note: ${n}`)].join('\n'))}</system-out>`;
  if (r.status === 'skip') return `${open}\n      <skipped message="${xmlEscape(r.notes[0] ?? '')}"/>\n${props}\n    </testcase>`;
  if (r.status === 'pass') return `${open}\n${props}\n    </testcase>`;
  const f = r.failure!;
  const body = [
    `problem: ${f.message}`,
    ...(f.expected ? [`expected: ${f.expected}`] : []),
    `rule: ${r.rule}`,
    `source: ${r.source}`,
    ...f.evidence.flatMap((ex) => [`-> ${requestLine(ex)}`, `<- ${responseLine(ex)}`]),
  ].join('\n');
  return `${open}\n      <failure message="${xmlEscape(f.message)}" type="${xmlEscape(r.id)}">${xmlEscape(body)}</failure>\n${props}\n    </testcase>`;
}

/** JUnit XML: one <testsuite> per family (handshake, volume, network, ipam, authz). */
export function renderJunit(report: ConformReport): string {
  const suites: string[] = [];
  for (const family of FAMILIES) {
    const rs = report.results.filter((r) => r.family === family);
    if (rs.length === 0) continue;
    const count = (s: CheckResult['status']) => rs.filter((r) => r.status === s).length;
    const time = rs.reduce((a, r) => a + r.durationMs, 0);
    suites.push(
      `  <testsuite name="${family}" tests="${rs.length}" failures="${count('fail')}" errors="0" skipped="${count('skip')}" time="${secs(time)}" timestamp="${report.startedAt.replace(/Z$/, '')}">\n` +
        `${rs.map(testcase).join('\n')}\n  </testsuite>`,
    );
  }
  const s = report.summary;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="plugchain conform ${xmlEscape(report.plugin.url)}" tests="${s.total}" failures="${s.failed}" errors="0" skipped="${s.skipped}" time="${secs(report.durationMs)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
