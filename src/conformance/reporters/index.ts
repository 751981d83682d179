import type { ConformReport } from '../types.js';
import { renderJson } from './json-reporter.js';
import { renderJunit } from './junit-reporter.js';
import { renderTable } from './table-reporter.js';
import { renderTap } from './tap-reporter.js';

export const FORMATS = ['table', 'tap', 'junit', 'json'] as const;
export type ReportFormat = (typeof FORMATS)[number];

export const REPORTERS: Readonly<Record<ReportFormat, (r: ConformReport) => string>> = Object.freeze({
  table: renderTable,
  tap: renderTap,
  junit: renderJunit,
  json: renderJson,
});

export function isReportFormat(v: string): v is ReportFormat {
  return (FORMATS as readonly string[]).includes(v);
}
