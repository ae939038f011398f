// Should apache-arrow ever use another flatbuffers copy than migreplay's, the guard's
// patch cannot reach it: guardFlatbuffers must then fail loudly, every time, rather
// than let corrupt traces through unguarded. Here migreplay's copy is made a distinct
// class (apache-arrow, loaded by Node itself, keeps the real one).
import { describe, expect, it, vi } from 'vitest';

vi.mock('flatbuffers', async (importOriginal) => {
  const real = await importOriginal<typeof import('flatbuffers')>();
  class ByteBuffer extends real.ByteBuffer {}
  return { ...real, ByteBuffer };
});

describe('the flatbuffers guard with two flatbuffers copies', () => {
  it('throws an internal error naming the cause, on every call', async () => {
    const { guardFlatbuffers } = await import('../src/trace/guard.js');
    for (let i = 0; i < 2; i++) expect(() => guardFlatbuffers()).toThrow(/flatbuffers bounds guard does not reach apache-arrow's copy of flatbuffers \(two copies installed\?\)/);
  });
});

describe('reading a trace with two flatbuffers copies', () => {
  it('fails as an internal error (not as bad input), on every read', async () => {
    const { openTrace, bytesSource } = await import('../src/trace/read.js');
    const { MigreplayError } = await import('../src/errors.js');
    const fs = await import('node:fs');
    const bytes = fs.readFileSync(new URL('../traces/gzip9.arrow', import.meta.url));
    for (let i = 0; i < 2; i++) {
      let thrown: unknown;
      try { openTrace(bytesSource('gzip9.arrow', bytes)); } catch (e) { thrown = e; }
      expect(thrown).toBeInstanceOf(Error);
      expect(thrown).not.toBeInstanceOf(MigreplayError);
      expect((thrown as Error).message).toMatch(/does not reach apache-arrow's copy of flatbuffers/);
    }
  });
});
