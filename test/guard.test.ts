// The flatbuffers bounds guard (src/trace/guard.ts) works on apache-arrow's own decoding.
import { Field, Int32, Message, Schema } from 'apache-arrow';
import { ByteBuffer } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { guardFlatbuffers } from '../src/trace/guard.js';

/** A schema message whose field list claims `length` entries. */
function corruptSchema(length: number): Uint8Array {
  const bytes = Message.encode(Message.from(new Schema([new Field('x', new Int32()), new Field('y', new Int32())])));
  const bb = new ByteBuffer(bytes);
  const root = bb.readInt32(0);
  const schema = bb.__indirect(root + bb.__offset(root, 8));
  const fields = schema + bb.__offset(schema, 6);
  new DataView(bytes.buffer, bytes.byteOffset).setInt32(fields + bb.readInt32(fields), length, true);
  return bytes;
}

describe('the flatbuffers guard', () => {
  it('stops apache-arrow decoding a list longer than its message, and lets a whole one through', () => {
    guardFlatbuffers();
    expect(() => Message.decode(corruptSchema(1e9)).header()).toThrow(/^corrupt Arrow metadata: a list of 1000000000 entries in a \d+-byte message$/);
    expect((Message.decode(corruptSchema(2)).header() as Schema).fields.map((f) => f.name)).toEqual(['x', 'y']);
  });
});
