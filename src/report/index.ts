// The self-contained HTML report of replay and sweep results.
export { buildReport, REPORT_SECTIONS, type ReportOptions } from './html.js';
export { readReportInput, isResultsDocument, plainValue, tableRows, type ReportInput } from './inputs.js';
