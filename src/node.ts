// The Node layer of the library: files, the compiled kernel on disk, sweeps, capture,
// plots and reports — and everything of the core ('migreplay'), with openTrace taking a
// path here too. Every function checks its arguments (src/api/). docs/api.md.
export * from './index.js';
export {
  openTrace, openTraceFile, fileSource, shippedTrace, shippedTraces, AtomicFile, writeFileAtomic,
  createKernel, defaultKernel, loadWasmModule, replayFile, type ReplayFileOptions,
  runSweep, mergeFiles, readTable, writeTable, runCapture, startCapture,
  runFleet, readFleetPlan, fleetPlotSvg,
  replayPlotSvg, tracePlotSvgs, heatmapSvg, renderPlotFile, svgToPng, readReportInput, buildReport,
} from './api/node.js';
export type { SweepControl, SweepOptions, SweepProgress, SweepStats } from './sweep/run.js';
export type { FleetPlan, FleetGuest, FleetResult, FleetGuestResult, FleetOptions, FleetPolicy, FleetOrderBy } from './run/fleet.js';
export type { MergeStats } from './sweep/merge.js';
export type { CaptureOptions, CaptureResult, CaptureHandle } from './capture/capture.js';
export type { TableData, Format } from './io/tables/index.js';
export type { Column, Row } from './sweep/columns.js';
export type { ReportOptions } from './report/html.js';
export type { ReportInput } from './report/inputs.js';
