import type { ConformReport } from '../types.js';

/** The whole report as JSON (exchanges included as sent and received). */
export function renderJson(report: ConformReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
