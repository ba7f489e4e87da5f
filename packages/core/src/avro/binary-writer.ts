/**
 * A growable buffer that writes Avro binary values byte for byte as avsc 5.7 does, for encoders
 * that build a message from pieces (a source writing a row straight from its text values)
 * instead of from an in-memory object. Pieces it cannot write itself go through a part of a
 * compiled writer schema (`partEncoder`), so every byte still comes from one definition.
 */

const INITIAL_SIZE = 64 * 1024;

/** Node's UTF-8 writer without `Buffer#write`'s argument handling (present since Node 0.x, untyped). */
interface Utf8Writable {
  utf8Write(value: string, offset: number, length?: number): number;
}

export class AvroBinaryWriter {
  buffer: Buffer;
  position = 0;

  constructor(size = INITIAL_SIZE) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  /** Makes room for `bytes` more bytes after the position. */
  reserve(bytes: number): void {
    const needed = this.position + bytes;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    grown.set(this.buffer.subarray(0, this.position), 0);
    this.buffer = grown;
  }

  /** Starts a new message. */
  reset(): void {
    this.position = 0;
  }

  /** An exact-size copy of bytes `start` to `end` (default: the whole message so far). */
  copy(start = 0, end = this.position): Buffer {
    const output = Buffer.allocUnsafe(end - start);
    output.set(this.buffer.subarray(start, end), 0);
    return output;
  }

  writeRaw(bytes: Uint8Array): void {
    this.writeSlice(bytes, 0, bytes.length);
  }

  /** Bytes `start` to `end` of `source`, appended (a plain loop for the short ones: no view object). */
  writeSlice(source: Uint8Array, start: number, end: number): void {
    const length = end - start;
    this.reserve(length);
    const buffer = this.buffer;
    if (length < 64) {
      let position = this.position;
      for (let i = start; i < end; i++) buffer[position++] = source[i] as number;
    } else {
      buffer.set(source.subarray(start, end), this.position);
    }
    this.position += length;
  }

  /** Bytes `start` to `end` of this writer's own buffer, appended. */
  repeat(start: number, end: number): void {
    this.writeSlice(this.buffer, start, end);
  }

  writeByte(byte: number): void {
    this.reserve(1);
    this.buffer[this.position++] = byte;
  }

  writeBoolean(value: boolean): void {
    this.writeByte(value ? 1 : 0);
  }

  /**
   * An int or long given as a number: zig-zag varint. Exact within ±2^52, the range avsc's own
   * writer is exact in (callers write larger longs from a bigint through `partEncoder`).
   */
  writeLong(value: number): void {
    this.reserve(10);
    const buffer = this.buffer;
    let position = this.position;
    if (value >= -1073741824 && value < 1073741824) {
      let zigzag = value >= 0 ? value << 1 : (~value << 1) | 1;
      while (zigzag > 0x7f) {
        buffer[position++] = (zigzag & 0x7f) | 0x80;
        zigzag >>>= 7;
      }
      buffer[position++] = zigzag;
    } else {
      let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
      while (zigzag >= 128) {
        buffer[position++] = (zigzag & 0x7f) | 0x80;
        zigzag = Math.floor(zigzag / 128);
      }
      buffer[position++] = zigzag;
    }
    this.position = position;
  }

  writeFloat(value: number): void {
    this.reserve(4);
    this.buffer.writeFloatLE(value, this.position);
    this.position += 4;
  }

  writeDouble(value: number): void {
    this.reserve(8);
    this.buffer.writeDoubleLE(value, this.position);
    this.position += 8;
  }

  /** A string: its UTF-8 length, then its UTF-8 bytes. */
  writeString(value: string): void {
    const length = value.length;
    if (length < 64) {
      // Short ASCII (keys, codes, names) is copied by a loop: its byte length is its length,
      // which fits one varint byte, and a loop is cheaper than a call into the UTF-8 encoder.
      this.reserve(1 + length * 3);
      const buffer = this.buffer;
      const start = this.position + 1;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        buffer[start + i] = code;
      }
      if (i === length) {
        buffer[this.position] = length << 1;
        this.position = start + length;
        return;
      }
      // At most 3 UTF-8 bytes per UTF-16 unit: under 22 units the byte length fits one varint byte.
      if (length < 22) {
        const written = (buffer as unknown as Utf8Writable).utf8Write(value, start);
        buffer[this.position] = written << 1;
        this.position = start + written;
        return;
      }
    }
    const bytes = Buffer.byteLength(value, "utf8");
    this.writeLong(bytes);
    this.reserve(bytes);
    (this.buffer as unknown as Utf8Writable).utf8Write(value, this.position, bytes);
    this.position += bytes;
  }

  /** Avro bytes: the length, then the bytes. */
  writeBytes(value: Uint8Array): void {
    this.writeLong(value.length);
    this.writeRaw(value);
  }
}
