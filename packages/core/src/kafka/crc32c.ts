/**
 * CRC-32C (Castagnoli), as Kafka record batches carry it, computed slicing-by-8: eight table
 * look-ups per 8 input bytes instead of one per byte, about 4× faster than kafkajs's byte-wise
 * loop on the megabytes of every produce request.
 */
const POLYNOMIAL = 0x82f63b78;

/** Eight 256-entry tables in one array: table k at k * 256. */
const TABLES = (() => {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    tables[n] = crc;
  }
  for (let n = 0; n < 256; n++) {
    let crc = tables[n] as number;
    for (let k = 1; k < 8; k++) {
      crc = (tables[crc & 0xff] as number) ^ (crc >>> 8);
      tables[k * 256 + n] = crc;
    }
  }
  return tables;
})();

/** CRC-32C of `bytes[start, end)`, as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLES;
  let crc = -1;
  let i = start;
  for (const last = end - 8; i <= last; i += 8) {
    const low =
      crc ^
      ((bytes[i] as number) |
        ((bytes[i + 1] as number) << 8) |
        ((bytes[i + 2] as number) << 16) |
        ((bytes[i + 3] as number) << 24));
    crc =
      (t[1792 + (low & 0xff)] as number) ^
      (t[1536 + ((low >>> 8) & 0xff)] as number) ^
      (t[1280 + ((low >>> 16) & 0xff)] as number) ^
      (t[1024 + (low >>> 24)] as number) ^
      (t[768 + (bytes[i + 4] as number)] as number) ^
      (t[512 + (bytes[i + 5] as number)] as number) ^
      (t[256 + (bytes[i + 6] as number)] as number) ^
      (t[bytes[i + 7] as number] as number);
  }
  for (; i < end; i++) crc = (t[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
