// The explorer page: pick a trace, algorithms and parameters; the worker replays;
// the table, the per-round charts and the heat map follow every slider move.
import { algorithms, findAlgorithm, formatDefault, parseDuration, type Algorithm, type ParamSpec, type ReplayResult } from 'migreplay';
import { roundChart } from './charts';
import { commandPath, shellWord } from './command';
import {
  BANDWIDTH_STOPS, DOWNTIME_STOPS, LINK_DEFAULTS, RESUME_STOPS, defaultStop, paramStops, startStops, type Stop,
} from './controls';
import { COLUMNS, fmtBytes, rowCells, sig } from './format';
import { HeatMap } from './heatmap';
import type { FromWorker, ReplayRequest, ToWorker, TraceInfo } from './protocol';

/** Algorithms ticked when the page opens. */
export const DEFAULT_ALGOS = ['precopy', 'xen', 'xen-v2', 'qemu', 'postcopy'];
/** The parameter the link section's downtime slider sets for every algorithm that has it. */
const SHARED_DOWNTIME = 'downtime-limit';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/**
 * A trace the page can open. `path`: the trace as the user named it (the path given to
 * `migreplay explore`, a dropped file's name), for the equivalent command line; `url`:
 * where this page fetches it from, which is not a path the user has.
 */
interface TraceEntry { name: string; url?: string; path?: string; bytes: number; dropped?: ArrayBuffer }

const state = {
  traces: [] as TraceEntry[],
  trace: undefined as TraceEntry | undefined,
  /** The trace `migreplay explore` was given, by name (traces/index.json's initial). */
  initial: null as string | null,
  info: undefined as TraceInfo | undefined,
  selected: new Set<string>(DEFAULT_ALGOS),
  bandwidth: BANDWIDTH_STOPS.findIndex((s) => s.text === LINK_DEFAULTS.bandwidth),
  downtime: DOWNTIME_STOPS.findIndex((s) => s.text === '300ms'),
  start: 0,
  startStops: [{ text: LINK_DEFAULTS.start!, label: '0 s' }] as Stop[],
  resume: RESUME_STOPS.findIndex((s) => s.text === LINK_DEFAULTS['resume-ms']),
  withinEpoch: LINK_DEFAULTS['within-epoch'] as 'spread' | 'start' | 'whole',
  /** Slider index of each algorithm's parameters, by algorithm id and parameter name. */
  params: {} as Record<string, Record<string, number>>,
  results: [] as ReplayResult[],
  coarse: [] as string[],
  focus: undefined as string | undefined,
  ready: false,
  nextId: 1,
  inFlight: 0,
  dirty: false,
  requestedAt: 0,
  exportAs: undefined as 'json' | 'qmp' | undefined,
};

/** For tests and the curious: timings of the last update. */
const probe = { updates: 0, lastLatencyMs: NaN, lastWorkerMs: NaN, perAlgoMs: {} as Record<string, number>, loads: 0 };
(window as unknown as { migreplay: typeof probe }).migreplay = probe;

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const heat = new HeatMap($<HTMLCanvasElement>('heat'));
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);

function setStatus(text: string, error = false): void {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', error);
}

// ---------------------------------------------------------------- parameters

function stopsOf(spec: ParamSpec): Stop[] {
  return paramStops(spec);
}

function paramIndex(a: Algorithm, spec: ParamSpec): number {
  return state.params[a.id]?.[spec.name] ?? defaultStop(spec, stopsOf(spec));
}

/** The request for the worker: CLI strings, only values that differ from the defaults. */
function request(): ReplayRequest {
  const params: ReplayRequest['params'] = {};
  for (const id of orderedSelection()) {
    const a = findAlgorithm(id)!;
    const p: Record<string, string> = {};
    for (const spec of a.params) {
      if (spec.name === SHARED_DOWNTIME) {
        if (DOWNTIME_STOPS[state.downtime]!.text !== '300ms' || formatDefault(spec) !== '300ms') p[spec.name] = DOWNTIME_STOPS[state.downtime]!.text;
        continue;
      }
      const stops = stopsOf(spec);
      const i = paramIndex(a, spec);
      if (i !== defaultStop(spec, stops)) p[spec.name] = stops[i]!.text;
    }
    params[id] = p;
  }
  return {
    algos: orderedSelection(),
    link: { bandwidth: BANDWIDTH_STOPS[state.bandwidth]!.text, start: state.startStops[state.start]!.text, resumeMs: RESUME_STOPS[state.resume]!.text, withinEpoch: state.withinEpoch },
    params,
  };
}

const orderedSelection = (): string[] => algorithms.map((a) => a.id).filter((id) => state.selected.has(id));

/** The same replay as command lines (one per distinct set of parameter values). */
function cliText(req: ReplayRequest): string {
  const path = shellWord(commandPath(state.trace, state.initial));
  const link = [`--bandwidth ${req.link.bandwidth}`];
  if (req.link.start !== LINK_DEFAULTS.start) link.push(`--start ${req.link.start}`);
  if (req.link.resumeMs !== LINK_DEFAULTS['resume-ms']) link.push(`--resume-ms ${req.link.resumeMs}`);
  if (req.link.withinEpoch !== LINK_DEFAULTS['within-epoch']) link.push(`--within-epoch ${req.link.withinEpoch}`);
  const groups = new Map<string, string[]>();
  for (const id of req.algos) {
    const flags = Object.entries(req.params[id] ?? {}).map(([k, v]) => `--${k} ${v}`).join(' ');
    groups.set(flags, [...(groups.get(flags) ?? []), id]);
  }
  // Algorithms without their own values can join any group whose flags they accept.
  return [...groups.entries()]
    .map(([flags, ids]) => `migreplay replay ${path} --algo ${ids.join(',')} ${link.join(' ')}${flags ? ' ' + flags : ''}`)
    .join('\n');
}

// ---------------------------------------------------------------- controls

function slider(id: string, stops: Stop[], index: number, onChange: (i: number) => void, isDefault: (i: number) => boolean): void {
  const input = $<HTMLInputElement>(id);
  const out = $<HTMLOutputElement>(`${id}-out`);
  input.min = '0';
  input.max = String(stops.length - 1);
  input.value = String(index);
  const show = () => {
    const i = Number(input.value);
    out.textContent = stops[i]!.label;
    out.classList.toggle('changed', !isDefault(i));
  };
  show();
  input.oninput = () => {
    show();
    onChange(Number(input.value));
  };
}

function buildLinkControls(): void {
  slider('bandwidth', BANDWIDTH_STOPS, state.bandwidth, (i) => { state.bandwidth = i; schedule(); }, (i) => BANDWIDTH_STOPS[i]!.text === LINK_DEFAULTS.bandwidth);
  slider('downtime', DOWNTIME_STOPS, state.downtime, (i) => { state.downtime = i; schedule(); }, (i) => DOWNTIME_STOPS[i]!.text === '300ms');
  slider('start', state.startStops, state.start, (i) => { state.start = i; schedule(); }, (i) => i === 0);
  slider('resume', RESUME_STOPS, state.resume, (i) => { state.resume = i; schedule(); }, (i) => RESUME_STOPS[i]!.text === LINK_DEFAULTS['resume-ms']);
  const we = $<HTMLSelectElement>('within-epoch');
  we.value = state.withinEpoch;
  we.onchange = () => { state.withinEpoch = we.value as typeof state.withinEpoch; schedule(); };
}

function buildAlgorithmList(): void {
  const box = $('algos');
  box.innerHTML = '';
  for (const a of algorithms) {
    const label = document.createElement('label');
    label.title = `${a.summary}\n${a.source}`;
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.value = a.id;
    cb.checked = state.selected.has(a.id);
    cb.onchange = () => {
      if (cb.checked) state.selected.add(a.id);
      else state.selected.delete(a.id);
      buildParamControls();
      schedule();
    };
    label.append(cb, ` ${a.id} `);
    const small = document.createElement('small');
    small.textContent = a.family === 'precopy' ? '' : `(${a.family})`;
    label.append(small);
    box.append(label);
  }
}

function buildParamControls(): void {
  const box = $('params');
  const open = new Set([...box.querySelectorAll('details[open]')].map((d) => (d as HTMLElement).dataset.algo));
  box.innerHTML = '';
  for (const id of orderedSelection()) {
    const a = findAlgorithm(id)!;
    const specs = a.params.filter((p) => p.name !== SHARED_DOWNTIME);
    if (specs.length === 0) continue;
    const det = document.createElement('details');
    det.dataset.algo = id;
    det.open = open.has(id);
    const sum = document.createElement('summary');
    sum.textContent = id;
    det.append(sum);
    for (const spec of specs) {
      const stops = stopsOf(spec);
      const def = defaultStop(spec, stops);
      const row = document.createElement('div');
      row.className = 'slider';
      row.title = `--${spec.name}: ${spec.doc} (default ${formatDefault(spec)})`;
      const label = document.createElement('label');
      label.textContent = spec.name;
      const out = document.createElement('output');
      const sid = `p-${id}-${spec.name}`;
      label.htmlFor = sid;
      const setOut = (i: number) => {
        out.textContent = stops[i]!.label;
        out.classList.toggle('changed', i !== def);
      };
      if (spec.kind === 'choice') {
        const sel = document.createElement('select');
        sel.id = sid;
        for (const s of stops) sel.append(new Option(s.label, s.text));
        sel.selectedIndex = paramIndex(a, spec);
        sel.onchange = () => { (state.params[id] ??= {})[spec.name] = sel.selectedIndex; setOut(sel.selectedIndex); schedule(); };
        row.append(label, sel, out);
      } else {
        const input = document.createElement('input');
        input.type = 'range';
        input.id = sid;
        input.min = '0';
        input.max = String(stops.length - 1);
        input.step = '1';
        input.value = String(paramIndex(a, spec));
        input.oninput = () => { (state.params[id] ??= {})[spec.name] = Number(input.value); setOut(Number(input.value)); schedule(); };
        row.append(label, input, out);
      }
      setOut(paramIndex(a, spec));
      det.append(row);
    }
    box.append(det);
  }
}

// ---------------------------------------------------------------- replaying

function schedule(): void {
  if (!state.ready || !state.info) return;
  if (state.requestedAt === 0) state.requestedAt = performance.now();
  if (state.inFlight) {
    state.dirty = true;
    return;
  }
  state.dirty = false;
  const req = request();
  $('cli').textContent = cliText(req);
  if (req.algos.length === 0) {
    state.results = [];
    state.requestedAt = 0;
    render();
    return;
  }
  state.inFlight = state.nextId++;
  document.body.dataset.state = 'busy';
  send({ type: 'replay', id: state.inFlight, request: req });
}

function onResults(m: Extract<FromWorker, { type: 'results' }>): void {
  if (m.id !== state.inFlight) return;
  state.inFlight = 0;
  state.results = m.results;
  state.coarse = m.coarse;
  if (!state.focus || !m.results.some((r) => r.algorithm === state.focus)) state.focus = m.results[0]?.algorithm;
  render();
  probe.lastLatencyMs = performance.now() - state.requestedAt;
  probe.lastWorkerMs = m.ms;
  probe.perAlgoMs = m.perAlgoMs;
  $('timing').textContent = `replayed ${m.results.length} algorithm${m.results.length === 1 ? '' : 's'} in ${sig(m.ms, 3)} ms (${sig(probe.lastLatencyMs, 3)} ms from the slider to this table)`;
  state.requestedAt = 0;
  if (state.dirty) schedule();
  else {
    document.body.dataset.state = 'ready';
    probe.updates++;
  }
}

// ---------------------------------------------------------------- rendering

function render(): void {
  const thead = $('results').querySelector('thead')!;
  const tbody = $('results').querySelector('tbody')!;
  thead.innerHTML = `<tr>${COLUMNS.map(([key, title]) => `<th data-col="${key}" class="${key === 'algorithm' || key === 'stopReason' ? '' : 'num'}">${title}</th>`).join('')}</tr>`;
  tbody.innerHTML = '';
  for (const r of state.results) {
    const tr = document.createElement('tr');
    tr.dataset.algo = r.algorithm;
    tr.classList.toggle('focus', r.algorithm === state.focus);
    for (const c of rowCells(r)) {
      const td = document.createElement('td');
      td.dataset.col = c.col;
      if (c.value !== undefined) td.dataset.value = c.value === null ? '' : String(c.value);
      if (c.numeric) td.className = 'num';
      td.textContent = c.text;
      if (c.col === 'algorithm' && state.coarse.includes(r.algorithm)) {
        td.textContent += ' ⚠';
        td.title = 'the trace is coarse for these rounds: the result depends on --within-epoch (the JSON export has the range)';
      }
      tr.append(td);
    }
    tr.onclick = () => { state.focus = r.algorithm; render(); };
    tbody.append(tr);
  }
  const notes: string[] = [];
  if (state.results.some((r) => r.oracle && !r.oracle.comparable)) notes.push('* changes the workload or what is migrated: the oracle bound does not apply to it.');
  if (state.coarse.length) notes.push(`⚠ the trace is coarse for the rounds of ${state.coarse.join(', ')}: their results depend on --within-epoch.`);
  notes.push('Click a row to show its migration on the heat map.');
  $('notes').textContent = notes.join(' ');
  const maxPages = Math.max(1, ...state.results.flatMap((r) => r.rounds.map((q) => Math.max(q.pagesSent, q.phase === 'precopy' ? q.pagesDirtied : 0))));
  $('charts').innerHTML = state.results.map((r) => roundChart(r, maxPages)).join('');
  drawHeat();
}

function drawHeat(): void {
  const canvas = $<HTMLCanvasElement>('heat');
  const w = Math.max(300, Math.round(canvas.clientWidth * devicePixelRatio));
  const h = Math.round(220 * devicePixelRatio);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const focus = state.results.find((r) => r.algorithm === state.focus);
  heat.draw(state.info, focus, parseDuration('--start', state.startStops[state.start]!.text));
  const i = state.info;
  if (i) {
    $('heat-note').textContent =
      `${i.heat.rows} rows of ${sig(i.heat.pagesPerRow, 3)} pages (page 0 at the bottom) × ${i.heat.cols} columns of ${sig(i.heat.secondsPerCol * 1000, 3)} ms; ` +
      `colour: writes (log scale)${focus ? `; shaded: trace time spanned by ${focus.algorithm} from the start, lines: its rounds` : ''}`;
  }
}

function showTraceInfo(i: TraceInfo): void {
  $('trace-info').innerHTML = '';
  const p = document.createElement('p');
  p.textContent = `${i.name}: ${i.memPages} pages × ${i.pageSize} B (${fmtBytes(i.memPages * i.pageSize)}), ${i.epochs} epochs, ` +
    `${i.events} page writes, ${sig(i.durationS)} s` + (i.intervalUs ? `, sampled every ${i.intervalUs / 1000} ms` : '') +
    (i.workload ? `; workload: ${i.workload}` : '') + (i.source ? ` (${i.source})` : '') +
    (i.hasComm ? '; has comm_pages' : '') + (i.hasImmp ? '; has immp_pages' : '') + `. Decoded in ${sig(i.decodeMs, 3)} ms.`;
  $('trace-info').append(p);
}

// ---------------------------------------------------------------- traces

async function openTraceEntry(t: TraceEntry): Promise<void> {
  state.trace = t;
  state.info = undefined;
  document.body.dataset.state = 'loading';
  setStatus(`loading ${t.name}…`);
  let bytes: ArrayBuffer;
  if (t.dropped) bytes = t.dropped.slice(0);
  else {
    const res = await fetch(t.url!);
    if (!res.ok) {
      setStatus(`${t.name}: HTTP ${res.status}`, true);
      return;
    }
    bytes = await res.arrayBuffer();
  }
  // Named as the user knows it: in the trace summary and as trace.path of the JSON export.
  send({ type: 'load', name: commandPath(t, state.initial), bytes }, [bytes]);
}

function onLoaded(info: TraceInfo): void {
  state.info = info;
  heat.setTrace(info);
  state.startStops = startStops(info.durationS);
  state.start = Math.min(state.start, state.startStops.length - 1);
  slider('start', state.startStops, state.start, (i) => { state.start = i; schedule(); }, (i) => i === 0);
  showTraceInfo(info);
  setStatus(`${state.trace?.name} loaded`);
  probe.loads++;
  state.inFlight = 0;
  state.requestedAt = performance.now();
  schedule();
}

function fillTraceSelect(): void {
  const sel = $<HTMLSelectElement>('trace-select');
  sel.innerHTML = '';
  for (const t of state.traces) sel.append(new Option(`${t.name}${t.dropped ? ' (dropped)' : ''} — ${fmtBytes(t.bytes)}`, t.name));
  if (state.trace) sel.value = state.trace.name;
  sel.onchange = () => {
    const t = state.traces.find((x) => x.name === sel.value);
    if (t) void openTraceEntry(t);
  };
}

async function openFile(file: File): Promise<void> {
  const bytes = await file.arrayBuffer();
  let name = file.name;
  while (state.traces.some((t) => t.name === name && !t.dropped)) name = `dropped-${name}`;
  state.traces = state.traces.filter((t) => t.name !== name);
  const entry: TraceEntry = { name, path: file.name, bytes: bytes.byteLength, dropped: bytes };
  state.traces.unshift(entry);
  state.trace = entry;
  fillTraceSelect();
  await openTraceEntry(entry);
}

function setUpDrop(): void {
  const drop = $('drop');
  let depth = 0;
  window.addEventListener('dragenter', (e) => { e.preventDefault(); depth++; drop.hidden = false; });
  window.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; drop.hidden = true; } });
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    drop.hidden = true;
    const f = e.dataTransfer?.files[0];
    if (f) void openFile(f);
  });
  $<HTMLInputElement>('trace-file').onchange = (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) void openFile(f);
  };
}

// ---------------------------------------------------------------- export

function download(name: string, data: unknown): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2) + '\n'], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function exportAs(kind: 'json' | 'qmp'): void {
  if (!state.info || state.selected.size === 0) return;
  state.exportAs = kind;
  setStatus('exporting…');
  send({ type: 'export', id: state.nextId++, request: request() });
}

// ---------------------------------------------------------------- start

worker.onmessage = (ev: MessageEvent<FromWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case 'ready':
      state.ready = true;
      schedule();
      break;
    case 'loaded':
      onLoaded(m.info);
      break;
    case 'results':
      onResults(m);
      break;
    case 'exported': {
      const base = (state.trace?.name ?? 'trace').replace(/\.[^.]*$/, '');
      if (state.exportAs === 'qmp') download(`${base}.qmp.json`, m.qmp);
      else download(`${base}.results.json`, m.doc);
      setStatus('exported');
      break;
    }
    case 'error':
      if (m.id !== undefined && m.id === state.inFlight) {
        state.inFlight = 0;
        state.requestedAt = 0;
        document.body.dataset.state = 'ready';
      }
      if (m.id === undefined) document.body.dataset.state = 'error';
      setStatus(m.message, true);
      break;
  }
};
worker.onerror = (e) => setStatus(`worker: ${e.message}`, true);

async function start(): Promise<void> {
  buildLinkControls();
  buildAlgorithmList();
  buildParamControls();
  setUpDrop();
  $('export-json').onclick = () => exportAs('json');
  $('export-qmp').onclick = () => exportAs('qmp');
  window.addEventListener('resize', () => drawHeat());
  try {
    const res = await fetch('traces/index.json');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const index = (await res.json()) as { initial: string | null; traces: { name: string; url: string; path?: string; bytes: number }[] };
    state.traces = index.traces;
    state.initial = index.initial;
    const wanted = new URLSearchParams(location.search).get('trace') ?? index.initial ?? (index.traces.find((t) => t.name === 'xz6.arrow') ? 'xz6.arrow' : index.traces[0]?.name);
    state.trace = state.traces.find((t) => t.name === wanted) ?? state.traces[0];
  } catch (e) {
    setStatus(`no trace list (${(e as Error).message}): open or drop an Arrow trace`);
  }
  fillTraceSelect();
  if (state.trace) await openTraceEntry(state.trace);
  else document.body.dataset.state = 'ready';
}

void start();
