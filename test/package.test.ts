// A newcomer's path, README then docs/api.md, in a project of their own: the repository
// packed (`npm pack`, what a publish would upload), a fresh project (`npm init -y`) that
// installs the tarball and its dependencies from the registry, and there docs/api.md's
// Node examples saved as .mjs files and run with `node`, as the doc says, and the
// installed `migreplay` command. What the symlinked node_modules of docs-snippets.test.ts
// cannot show: that the package's "files" hold everything its code loads (dist/, the
// kernel, the shipped traces) and its "exports" and "bin" work from an install.
//
// Packs the built tree without running `prepare` again (`npm test` has just built; a
// stale build fails here rather than being packed): --ignore-scripts. Needs the npm
// registry (the dependencies); slow, hence the explicit timeouts.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

const run = promisify(execFile);
const API = fs.readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The body of the first ```LANG block after the line starting with `marker` in docs/api.md. */
function block(marker: string, lang: string): string {
  const at = API.indexOf(`\n${marker}`);
  if (at < 0) throw new Error(`docs/api.md has no line starting ${marker}`);
  const m = new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'm').exec(API.slice(at));
  if (!m) throw new Error(`docs/api.md has no \`\`\`${lang} block after ${marker}`);
  return m[1]!;
}

describe('the package installed in a project of its own', () => {
  let tmp = '';
  let project = '';
  // A shell's environment, not npm test's: no npm_* variables leaking into the nested npm.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const inProject = (cmd: string, args: string[]) => run(cmd, args, { cwd: project, env, maxBuffer: 1 << 26 });

  beforeAll(async () => {
    const stale = await run(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--check'], { cwd: ROOT }).then(
      () => '',
      (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
    expect(stale, 'the build is out of date: run `npm run build` (npm test does) before packing it').toBe('');
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-package-')));
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], { cwd: ROOT, env, maxBuffer: 1 << 26 });
    const tarball = path.join(tmp, `migreplay-${VERSION}.tgz`);
    expect(fs.existsSync(tarball)).toBe(true);
    project = path.join(tmp, 'my-project');
    fs.mkdirSync(project);
    await inProject('npm', ['init', '-y']);
    await inProject('npm', ['install', '--no-audit', '--no-fund', tarball]);
  }, 300_000);

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("runs docs/api.md's example as written and prints what the doc says", async () => {
    fs.writeFileSync(path.join(project, 'example.mjs'), block('## Example (Node)', 'js'));
    const { stdout, stderr } = await inProject(process.execPath, ['example.mjs']);
    expect(stderr).toBe('');
    expect(stdout).toBe(block('It prints', 'text'));
  }, 120_000);

  it("runs the replayFile example: the document `migreplay replay … --json` of the installed command prints", async () => {
    const code = block('## One call: `replayFile`', 'js');
    fs.writeFileSync(path.join(project, 'one-call.mjs'), code);
    const { stdout, stderr } = await inProject(process.execPath, ['one-call.mjs']);
    expect(stderr).toBe('');
    // The command the example says it equals, run by the installed bin on the installed trace.
    const command = /^\/\/ = migreplay (.*)$/m.exec(code)![1]!.split(' ').map((w) => (w === 'traces/gzip9.arrow' ? 'node_modules/migreplay/traces/gzip9.arrow' : w));
    const cli = await inProject('npx', ['--no-install', 'migreplay', ...command]);
    const doc = JSON.parse(cli.stdout) as { trace: { epochs: number }; link: { bandwidthBytesPerS: number }; results: { algorithm: string; pagesSent: number; totalTimeS: number; downtimeMs: number | null }[] };
    expect(doc.results.map((r) => r.algorithm)).toEqual(['precopy', 'qemu', 'postcopy']);
    const expected = [`${doc.trace.epochs} epochs, link ${doc.link.bandwidthBytesPerS} B/s`, ...doc.results.map((r) => [r.algorithm, r.pagesSent, r.totalTimeS.toFixed(3), r.downtimeMs?.toFixed(1)].join(' '))];
    expect(stdout).toBe(expected.join('\n') + '\n');
  }, 120_000);

  it('installs the migreplay command', async () => {
    const { stdout } = await inProject('npx', ['--no-install', 'migreplay', '--version']);
    expect(stdout.trim()).toBe(VERSION);
  }, 60_000);
});
