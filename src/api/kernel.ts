// The public kernel constructors, and the check every function taking a kernel makes.
// No Node imports.
import { createReferenceKernel as createReferenceKernelImpl } from '../kernel/reference.js';
import type { Kernel } from '../kernel/types.js';
import { createWasmKernel as createWasmKernelImpl } from '../kernel/wasm.js';
import { bad, isObject } from './check.js';

/** What a kernel object must offer (src/kernel/types.ts). */
const METHODS = [
  'init', 'lists', 'setBits', 'setBitsExcept', 'clear', 'fill', 'copy', 'or', 'and', 'andNot', 'popcount',
  'popcountAndRange', 'setRange', 'clearRange', 'countMissing', 'filterSpread', 'groupSpread', 'takeSpread', 'moveMarks', 'maxTreeAdd', 'savedEntries', 'saveBitmap', 'orSaved', 'testBit', 'advanceAndNot',
  'collect', 'countPages', 'countBitmap', 'clearCounters', 'counter', 'selectAtLeast',
] as const;

/** What build/kernel.wasm exports (src/kernel/wasm.ts binds these). */
const WASM_EXPORTS = [
  'memory', 'heapBase', 'setBits', 'setBitsExcept', 'zero', 'fill', 'copy', 'or', 'and', 'andNot', 'popcount',
  'popcountAndRange', 'testBit', 'setRange', 'clearRange', 'countMissing', 'filterSpread', 'groupSpread', 'takeSpread', 'moveMarks', 'maxTreeAdd', 'advanceAndNot',
  'collect', 'countPages', 'countBitmap', 'counter', 'selectAtLeast',
] as const;

const madeHere = new WeakSet<object>();

const KERNEL_RULE = "a kernel (defaultKernel() or createKernel('wasm' | 'js') from 'migreplay/node', createWasmKernel(module), createReferenceKernel())";

/** A kernel argument, checked: one made here, or an object with every kernel method. */
export function usableKernel(fn: string, k: unknown, what = 'kernel'): Kernel {
  if (madeHere.has(k as object)) return k as Kernel;
  if (!isObject(k) || (k.name !== 'wasm' && k.name !== 'js') || !METHODS.every((m) => typeof k[m] === 'function')) {
    if (k === 'wasm' || k === 'js') bad(fn, what, `${KERNEL_RULE}, not its name`, k);
    bad(fn, what, KERNEL_RULE, k);
  }
  return k as unknown as Kernel;
}

/** Remember a kernel made here. */
export function madeKernel(k: Kernel): Kernel {
  madeHere.add(k);
  return k;
}

/** A kernel backed by a fresh instance of the compiled kernel module (build/kernel.wasm); anywhere. */
export function createWasmKernel(module: WebAssembly.Module): Kernel {
  if (!(module instanceof WebAssembly.Module)) {
    const hint = (module as unknown) instanceof Uint8Array || (module as unknown) instanceof ArrayBuffer ? ' (compile the bytes first: await WebAssembly.compile(bytes))' : '';
    bad('createWasmKernel', 'module', `a WebAssembly.Module of build/kernel.wasm${hint}`, module);
  }
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const missing = WASM_EXPORTS.filter((n) => !names.has(n));
  if (missing.length > 0) bad('createWasmKernel', 'module', `the compiled build/kernel.wasm (this module lacks ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''})`, module);
  return madeKernel(createWasmKernelImpl(module));
}

/** The TypeScript reference kernel: identical results to the wasm one, slower; anywhere. */
export function createReferenceKernel(): Kernel {
  return madeKernel(createReferenceKernelImpl());
}
