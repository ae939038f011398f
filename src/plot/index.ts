// Charts in Node without a browser: vega-lite specs rendered to SVG, PNG through resvg.
export { renderPlotFile, plotFormat } from './file.js';
export { svgToPng, stackSvgs, prefixSvgIds, encodePngRgb, PNG_SIGNATURE } from './png.js';
export { replayPlotSvg, replayChartSpecs, metricBarSpec, roundsSpec, oracleSpec, runLabel, docScales } from './replay.js';
export { tracePlotSvgs, heatmapSvg, traceFigures, traceHeatmap, dirtyPerEpochSpec, workingSetSpec, heatmapSpec, workingSetWindows, WORKING_SET_WINDOWS_S } from './trace.js';
export { sweepChartSpecs, sweepCurveSpec, sweepScales, normalizeSweepRows, sweepParameters, type SweepRow } from './sweep.js';
export { parameterName, parameterText, parameterUnit } from './names.js';
export { decideScales, spansDecade, scalesText, type MetricScales, type ScaledMetric } from './scales.js';
export { renderSvg, algorithmColors, escapeXml, THEME, type ChartSpec } from './vega.js';
