// The kernel API without Node dependencies (safe to bundle for the browser).
// Node callers load build/kernel.wasm with ./node.js.

export * from './types.js';
export { createReferenceKernel } from './reference.js';
export { createWasmKernel } from './wasm.js';
