/**
 * The V8 flags every connector process runs with. The `tributary` command's shebang
 * (bin/tributary.js) and the Dockerfile's entrypoint spell them out too; a unit test keeps all
 * three in step. Processes this repository spawns (demo, benchmark, tests) take them from here.
 *
 * A 32 MiB young generation (Node 20's default is 16) lets the objects of a batch die young
 * instead of being promoted and swept: measured on 1,000,000 snapshot rows, the sink went from
 * 16.1–18.5 to 12.5 CPU seconds and the source from 11.6 to 10.3. 64 MiB took the sink's peak RSS
 * to 337 MB, past the 300 MB budget. V8 reads the flag only at start-up, so it cannot be set
 * from inside the process.
 *
 * A heap growing factor of 2.5 (V8 lets the old generation grow to up to 4 times what survived
 * the last full collection before the next): batches handled one after another promote about
 * 15 MB per scavenge, so the old generation reached about 140 MB over 33 MB alive before each
 * full collection. Measured with `bench/source.ts` and `bench/sink-streaming.ts`, the streaming
 * peak RSS went from 248–299 MB to 238–240 MB (source) and from 194–286 MB to 186–232 MB (sink)
 * with no change in CPU seconds beyond the noise; 100 (a factor of 2) gave 206–222 MB for the
 * source but cost it 5–20% more CPU.
 */
export const CONNECTOR_NODE_FLAGS: readonly string[] = [
  "--max-semi-space-size=32",
  "--heap-growing-percent=150",
];
