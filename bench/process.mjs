// One timed child process for the benches: wall time, and CPU time and peak RSS where
// /usr/bin/time exists (GNU time, from Debian's `time` package).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Run `command argv…`; resolves to { wallMs, cpuMs, maxRssKiB (null without /usr/bin/time), stdout }, rejects on a non-zero exit. */
export function runProcess(command, argv, { cwd } = {}) {
  return new Promise((resolve, reject) => {
    const full = TIME ? [TIME, '-f', '@@time %e %U %S %M', command, ...argv] : [command, ...argv];
    const t0 = performance.now();
    const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`${argv.join(' ')} exited with ${code}: ${err.trim().split('\n').slice(-3).join(' / ')}`));
      const m = /@@time (\S+) (\S+) (\S+) (\S+)/.exec(err);
      resolve({ wallMs, cpuMs: m ? (Number(m[2]) + Number(m[3])) * 1e3 : null, maxRssKiB: m ? Number(m[4]) : null, stdout: out });
    });
  });
}
