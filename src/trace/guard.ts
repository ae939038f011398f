// A guard against corrupt Arrow metadata. apache-arrow decodes each IPC message's
// flatbuffer into objects with loops over the lengths the flatbuffer states (fields,
// field nodes, buffers, key/values, record batch blocks), and flatbuffers' ByteBuffer
// reads past its end as zeros: one flipped bit in a length makes a 300-byte message
// claim 10^9 entries, and the reader builds them until the process dies out of memory.
// Every such length goes through ByteBuffer.__vector_len; a vector must fit in its
// buffer (each entry takes at least a byte), so a longer one is corrupt: throw, and the
// reader reports the trace as not Arrow, truncated or corrupt, by name.
//
// The patch is on the flatbuffers copy this module imports. Should apache-arrow ever get
// a copy of its own (two versions installed), the patch would not reach it: so once
// installed, a corrupt message is decoded through apache-arrow itself, and unless the
// guard stops it, every read fails loudly as an internal error instead of going unguarded.
import { Field, Int32, Message, Schema } from 'apache-arrow';
import { ByteBuffer } from 'flatbuffers';

const GUARD_TEXT = 'corrupt Arrow metadata: a list of';

let state: 'off' | 'on' | Error = 'off';

/** Make flatbuffers throw on a vector that runs past the end of its buffer, and check that apache-arrow is guarded; idempotent. */
export function guardFlatbuffers(): void {
  if (state === 'off') {
    install();
    state = guarded() ? 'on' : new Error(
      "the flatbuffers bounds guard does not reach apache-arrow's copy of flatbuffers (two copies installed?): " +
        'corrupt traces could exhaust memory; reinstall so that apache-arrow and migreplay share one flatbuffers (npm dedupe)',
    );
  }
  if (state instanceof Error) throw state;
}

function install(): void {
  const proto = ByteBuffer.prototype as ByteBuffer & { __vector_len(offset: number): number };
  const vectorLength = proto.__vector_len;
  proto.__vector_len = function (this: ByteBuffer, offset: number): number {
    const length = vectorLength.call(this, offset);
    const start = offset + this.readInt32(offset) + 4;
    if (!(length >= 0 && start >= 0 && start + length <= this.capacity())) {
      throw new Error(`${GUARD_TEXT} ${length} entries in a ${this.capacity()}-byte message`);
    }
    return length;
  };
}

// Slots of Arrow's Message.fbs and Schema.fbs (slot = 4 + 2 × field index): Message.header, Schema.fields.
const MESSAGE_HEADER = 8;
const SCHEMA_FIELDS = 6;

/** Whether apache-arrow, decoding a schema whose field list claims 2^20 entries in ~100 bytes, is stopped by the guard. */
function guarded(): boolean {
  const bytes = Message.encode(Message.from(new Schema([new Field('x', new Int32())])));
  const bb = new ByteBuffer(bytes);
  const root = bb.readInt32(bb.position()) + bb.position();
  const schema = bb.__indirect(root + bb.__offset(root, MESSAGE_HEADER));
  const fields = schema + bb.__offset(schema, SCHEMA_FIELDS);
  const lengthAt = fields + bb.readInt32(fields);
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setInt32(lengthAt, 1 << 20, true);
  try {
    Message.decode(bytes).header();
    return false;
  } catch (e) {
    return e instanceof Error && e.message.startsWith(GUARD_TEXT);
  }
}
