// A guard against corrupt Arrow metadata. apache-arrow decodes each IPC message's
// flatbuffer into objects with loops over the lengths the flatbuffer states (fields,
// field nodes, buffers, key/values, record batch blocks), and flatbuffers' ByteBuffer
// reads past its end as zeros: one flipped bit in a length makes a 300-byte message
// claim 10^9 entries, and the reader builds them until the process dies out of memory.
// Every such length goes through ByteBuffer.__vector_len; a vector must fit in its
// buffer (each entry takes at least a byte), so a longer one is corrupt: throw, and the
// reader reports the trace as not Arrow, truncated or corrupt, by name.
import { ByteBuffer } from 'flatbuffers';

let installed = false;

/** Make flatbuffers throw on a vector that runs past the end of its buffer; idempotent. */
export function guardFlatbuffers(): void {
  if (installed) return;
  installed = true;
  const proto = ByteBuffer.prototype as ByteBuffer & { __vector_len(offset: number): number };
  const vectorLength = proto.__vector_len;
  proto.__vector_len = function (this: ByteBuffer, offset: number): number {
    const length = vectorLength.call(this, offset);
    const start = offset + this.readInt32(offset) + 4;
    if (!(length >= 0 && start >= 0 && start + length <= this.capacity())) {
      throw new Error(`corrupt Arrow metadata: a list of ${length} entries in a ${this.capacity()}-byte message`);
    }
    return length;
  };
}
