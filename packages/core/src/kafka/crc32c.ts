import { crc32c as hardwareCrc32c } from "@node-rs/crc32";

/**
 * CRC-32C (Castagnoli) of `bytes[start, end)`, as Kafka record batches carry it, unsigned.
 * @node-rs/crc32 computes it with the CPU's CRC32 instructions: about 4.5× faster than the
 * slicing-by-8 table loop it replaced (0.16 against 0.74 ms per MiB here), which was still
 * about 8% of the source's CPU in a profiled end-to-end snapshot.
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const range = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
  return hardwareCrc32c(range) >>> 0;
}
