// docs/scale-out.md's Kubernetes Indexed Job, as the doc gives it (parsed with yaml):
//   - valid against the batch/v1 Job schema: kubernetes-models' validators, compiled from
//     Kubernetes' OpenAPI definitions (types, int32/int64, enums such as completionMode and
//     restartPolicy, required fields);
//   - no unknown field at any depth (the API server's strict field validation, kubectl's
//     default, rejects them; the OpenAPI schema allows them): the manifest type-checks as
//     an object literal of kubernetes-types' `Job`, whose excess-property check names any;
//   - the pod's command, run by a shell as the pod runs it (JOB_COMPLETION_INDEX set, /data
//     a temporary folder), is a sweep the CLI accepts (--dry-run), its shard count is the
//     Job's completions, and the 16 pods' shards add up to the grid.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Job } from 'kubernetes-models/batch/v1';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { cli, ROOT } from './helpers/cli.js';

const run = promisify(execFile);
const DOC = fs.readFileSync(path.join(ROOT, 'docs/scale-out.md'), 'utf8');

/** The manifest: the first ```yaml block of the Kubernetes section. */
function manifestText(): string {
  const section = DOC.slice(DOC.indexOf('### Kubernetes'));
  const m = /^```yaml\n([\s\S]*?)^```$/m.exec(section);
  if (!m) throw new Error('docs/scale-out.md: no ```yaml block in the Kubernetes section');
  return m[1]!;
}

/** The manifest as an object; a YAML error or warning fails. */
function manifest(): Record<string, any> {
  const doc = parseDocument(manifestText());
  expect([...doc.errors, ...doc.warnings].map((e) => e.message)).toEqual([]);
  return doc.toJS() as Record<string, any>;
}

/** The schema's complaint about `job`, or undefined when it is valid. */
function schemaError(job: unknown): string | undefined {
  try {
    new Job(job as ConstructorParameters<typeof Job>[0]).validate();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** TypeScript's complaints about `job` as a kubernetes-types Job (unknown fields, wrong types, missing required ones). */
function typeErrors(job: unknown): string[] {
  const file = path.join(ROOT, 'test', '__kubernetes-job__.ts');
  const source = `import type { Job } from 'kubernetes-types/batch/v1';\nexport const job: Job = ${JSON.stringify(job, null, 2)};\n`;
  const options: ts.CompilerOptions = { strict: true, noEmit: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022, types: [] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
}

/** A deep copy of `job` with `edit` applied. */
function edited(job: Record<string, any>, edit: (j: Record<string, any>) => void): Record<string, any> {
  const copy = structuredClone(job);
  edit(copy);
  return copy;
}

describe('the Kubernetes Indexed Job of docs/scale-out.md', () => {
  let job: Record<string, any>;
  beforeAll(() => {
    job = manifest();
  });

  it('is a batch/v1 Job the schema accepts', () => {
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.kind).toBe('Job');
    expect(schemaError(job)).toBeUndefined();
  });

  it('has no unknown or mistyped field at any depth', () => {
    expect(typeErrors(job)).toEqual([]);
  }, 60_000);

  it('the checks catch what kubectl would refuse', () => {
    // Each edit is a mistake one of the two checks must name.
    expect(schemaError(edited(job, (j) => (j.spec.completionMode = 'indexed')))).toMatch(/completionMode/);
    expect(schemaError(edited(job, (j) => (j.spec.template.spec.restartPolicy = 'OnFailur')))).toMatch(/restartPolicy/);
    expect(schemaError(edited(job, (j) => (j.spec.completions = '16')))).toMatch(/completions/);
    expect(schemaError(edited(job, (j) => delete j.spec.template.spec.containers[0].name))).toMatch(/name/);
    expect(typeErrors(edited(job, (j) => ((j.spec.backoffLimitPerIndx = 3), delete j.spec.backoffLimitPerIndex))).join('\n')).toMatch(/backoffLimitPerIndx/);
    expect(typeErrors(edited(job, (j) => (j.spec.template.spec.containers[0].volumeMount = [])))).not.toEqual([]);
  }, 60_000);

  describe("the pod's command", () => {
    let tmp = '';
    /** The argv the pod's shell gives `migreplay` for JOB_COMPLETION_INDEX=index, /data in tmp. */
    async function argvOf(index: number): Promise<string[]> {
      const c = job.spec.template.spec.containers[0];
      expect(c.command).toEqual(['sh', '-c']);
      const script = (c.args as string[])[0]!.replaceAll('/data/', `${tmp}/`);
      // A shell function in migreplay's place prints the words it is given.
      const { stdout } = await run('sh', ['-c', `migreplay() { printf '%s\\0' "$@"; }\n${script}`], { env: { ...process.env, JOB_COMPLETION_INDEX: String(index) } });
      return stdout.split('\0').slice(0, -1);
    }

    beforeAll(() => {
      tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-k8s-')));
      fs.mkdirSync(path.join(tmp, 'traces'));
      for (const t of ['gzip9.arrow', 'redis_bench.arrow']) fs.copyFileSync(path.join(ROOT, 'traces', t), path.join(tmp, 'traces', t));
    });
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("is a sweep the CLI accepts; its shards are the Job's indexes and cover the grid", async () => {
      const n = job.spec.completions as number;
      expect(job.spec.completionMode).toBe('Indexed');
      expect(job.spec.parallelism).toBe(n);
      const volume = job.spec.template.spec.containers[0].volumeMounts[0].mountPath;
      expect(volume).toBe('/data');
      let total = 0;
      let grid = -1;
      const outs = new Set<string>();
      for (let i = 0; i < n; i++) {
        const argv = await argvOf(i);
        expect(argv[0]).toBe('sweep');
        expect(argv[argv.indexOf('--shard') + 1]).toBe(`${i}/${n}`);
        // --jobs equal to the pod's CPU request, as the doc says.
        expect(argv[argv.indexOf('--jobs') + 1]).toBe(String(job.spec.template.spec.containers[0].resources.requests.cpu));
        expect(argv).toContain('--resume');
        outs.add(argv[argv.indexOf('--out') + 1]!);
        const r = await cli([...argv, '--dry-run', '--json']);
        expect(r.stderr).not.toMatch(/error|unknown/i);
        expect(r.status).toBe(0);
        const s = JSON.parse(r.stdout) as { gridRuns: number; shardRuns: number };
        if (grid < 0) grid = s.gridRuns;
        expect(s.gridRuns).toBe(grid);
        total += s.shardRuns;
      }
      // Every pod writes its own file (one writer per output), and the shards partition the grid.
      expect(outs.size).toBe(n);
      expect(grid).toBeGreaterThan(n);
      expect(total).toBe(grid);
    }, 120_000);
  });
});
