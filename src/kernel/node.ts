// Node-only kernel loading: reads build/kernel.wasm from disk. Browser code uses
// createWasmKernel() with a module it compiled itself.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_RUN_FAILED, MigreplayError } from '../errors.js';
import { createReferenceKernel } from './reference.js';
import type { Kernel } from './types.js';
import { createWasmKernel } from './wasm.js';

// src/kernel/ and dist/kernel/ are both two levels below the repository root.
const WASM_URL = new URL('../../build/kernel.wasm', import.meta.url);

let cached: WebAssembly.Module | undefined;

/** The compiled kernel module (build/kernel.wasm), compiled once per process. */
export function loadWasmModule(): WebAssembly.Module {
  if (cached === undefined) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = readFileSync(WASM_URL) as Uint8Array<ArrayBuffer>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new MigreplayError('kernel-missing', `the wasm kernel is not built (no ${fileURLToPath(WASM_URL)}): run npm run build, or use --kernel js`, EXIT_RUN_FAILED);
      }
      throw e;
    }
    cached = new WebAssembly.Module(bytes);
  }
  return cached;
}

/** A fresh kernel: 'wasm' (AssemblyScript, the default hot path) or 'js' (the TypeScript reference). */
export function createKernel(name: 'wasm' | 'js'): Kernel {
  switch (name) {
    case 'wasm':
      return createWasmKernel(loadWasmModule());
    case 'js':
      return createReferenceKernel();
    default:
      throw new Error(`unknown kernel '${String(name)}' (expected wasm or js)`);
  }
}
