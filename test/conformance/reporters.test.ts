import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, test } from 'vitest';
import { REPORTERS } from '../../src/conformance/reporters/index.js';
import { xmlEscape } from '../../src/conformance/reporters/junit-reporter.js';
import { runConformance } from '../../src/conformance/run-conformance.js';
import type { ConformReport } from '../../src/conformance/types.js';
import { startFixturePlugin } from '../fixtures/plugins/fixture-plugin.js';

let report: ConformReport;

beforeAll(async () => {
  // Two defects: failures in two families, one with a body that needs escaping (<, &, quotes).
  const plugin = await startFixturePlugin({ defects: ['get-missing-500-text', 'gateway-cidr'] });
  try {
    report = await runConformance({ plugin: `unix://${plugin.socketPath}`, schemas: null });
  } finally {
    await plugin.close();
  }
  // Evidence text with characters XML and YAML must escape.
  report.results.find((r) => r.status === 'fail')!.failure!.evidence[0]!.text = 'a <b> & "c" \u0001 \'d\' ]]> # not a directive';
});

/** Minimal XML well-formedness: balanced tags, quoted attributes, no stray < or &. */
function checkXml(xml: string): Map<string, number> {
  const counts = new Map<string, number>();
  const stack: string[] = [];
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < body.length) {
    if (body[i] === '<') {
      tag.lastIndex = i;
      const m = tag.exec(body);
      if (!m) throw new Error(`malformed tag at ${i}: ${body.slice(i, i + 40)}`);
      const [, close, name, , self] = m;
      if (close) {
        if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
      } else {
        counts.set(name!, (counts.get(name!) ?? 0) + 1);
        if (!self) stack.push(name!);
      }
      i = tag.lastIndex;
    } else {
      const next = body.indexOf('<', i);
      const text = body.slice(i, next < 0 ? undefined : next);
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`bare & in ${text.slice(0, 40)}`);
      i = next < 0 ? body.length : next;
    }
  }
  if (stack.length > 0) throw new Error(`unclosed ${stack.join(',')}`);
  return counts;
}

describe('reporters', () => {
  test('the report has failures and skips to show', () => {
    expect(report.summary.failed).toBe(3);
    expect(report.summary.skipped).toBeGreaterThan(0);
  });

  test('TAP 13: plan line, one ok/not ok per check, YAML diagnostics that parse', () => {
    const tap = REPORTERS.tap(report);
    const lines = tap.split('\n');
    expect(lines[0]).toBe('TAP version 13');
    expect(lines[1]).toBe(`1..${report.results.length}`);
    const points = lines.filter((l) => /^(not )?ok \d+ /.test(l));
    expect(points.length).toBe(report.results.length);
    expect(points.filter((l) => l.startsWith('not ok')).length).toBe(report.summary.failed);
    expect(points.filter((l) => / # SKIP /.test(l)).length).toBe(report.summary.skipped);
    points.forEach((l, i) => expect(l).toMatch(new RegExp(`^(not )?ok ${i + 1} `)));
    const blocks = [...tap.matchAll(/\n {2}---\n([\s\S]*?)\n {2}\.\.\.\n/g)].map((m) => parseYaml(m[1]!.replace(/^ {2}/gm, '')) as Record<string, unknown>);
    const failing = blocks.filter((b) => b['rule']);
    expect(failing.length).toBe(report.summary.failed);
    for (const b of failing) {
      expect(b['source']).toMatch(/plugin-protocols\.md/);
      expect((b['evidence'] as unknown[]).length).toBeGreaterThan(0);
    }
    expect(JSON.stringify(blocks)).toContain('a <b> & \\"c\\"');
  });

  test('JUnit: well-formed, one testsuite per family, testcase/failure/skipped counts match', () => {
    const xml = REPORTERS.junit(report);
    const counts = checkXml(xml);
    expect(counts.get('testsuites')).toBe(1);
    expect(counts.get('testsuite')).toBe(new Set(report.results.map((r) => r.family)).size);
    expect(counts.get('testcase')).toBe(report.results.length);
    expect(counts.get('failure')).toBe(report.summary.failed);
    expect(counts.get('skipped')).toBe(report.summary.skipped);
    expect(xml).toContain('a &lt;b&gt; &amp; &quot;c&quot; \uFFFD &apos;d&apos; ]]&gt;');
    expect(xml).toMatch(/<testsuite name="volume" tests="\d+" failures="1"/);
    expect(xml).toMatch(/<testsuite name="network" tests="\d+" failures="1"/);
  });

  test('xmlEscape handles every special and control character', () => {
    expect(xmlEscape('<&>"\'\u0000\u001f\t\n')).toBe('&lt;&amp;&gt;&quot;&apos;\uFFFD\uFFFD\t\n');
  });

  test('JSON round-trips', () => {
    expect(JSON.parse(REPORTERS.json(report))).toEqual(JSON.parse(JSON.stringify(report)));
  });

  test('table: a row per check, failures with rule, source and evidence', () => {
    const table = REPORTERS.table(report);
    for (const r of report.results) expect(table).toContain(r.id);
    expect(table).toMatch(/^FAIL\s+volume\.get\.missing\s/m);
    expect(table).toContain('FAIL network.join');
    expect(table).toContain('→ POST /NetworkDriver.Join');
    expect(table).toContain('source:   plugin-protocols.md §4.1 Join');
    expect(table).toMatch(/checks: \d+ passed, 3 failed, \d+ skipped/);
  });
});
