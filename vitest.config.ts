// vitest (npm test = build, then `vitest run`).
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Child processes: test files may change the working folder (in-process CLI runs with
    // a cwd), and a file that crashes its process takes no other file with it.
    pool: 'forks',
    // vitest's default is one file at a time on 2 cores; the CLI runs in-process now
    // (test/helpers/cli.ts), so the files themselves must use the cores.
    maxWorkers: Math.max(2, availableParallelism()),
    // The built package is loaded by Node itself, as bin/migreplay.js and users load it
    // (not transformed by vitest): the CLI the tests run is byte for byte the one shipped.
    server: { deps: { external: [/\/dist\//] } },
    // A floor for tests without their own timeout (those that can take over a second have
    // one, sized for a 2-core machine at load 4): vitest's 5 s and 10 s are too short there.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
