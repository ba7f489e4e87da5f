/**
 * The V8 flags and the environment every connector process runs with. The `tributary` command's
 * shebang (bin/tributary.js) and the Dockerfile (entrypoint and ENV) spell them out too; a unit
 * test keeps all three in step. Processes this repository spawns (demo, benchmark, tests) take
 * them from here.
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

/**
 * glibc's malloc keeps freed memory of up to 128 MiB at the top of its heap, and serves blocks of
 * up to 32 MiB from it, instead of mapping each large block anew and unmapping it when freed (its
 * adaptive default): the buffers a connector allocates per batch (1 MiB chunks of COPY data,
 * fetch responses, produce requests) then reuse pages already touched rather than fault fresh
 * ones in. Measured on 1,000,000 snapshot rows end to end, minor page faults went from 53,380 to
 * 37,906 (sink) and from 55,860 to 40,093 (source), system CPU from 0.78 to 0.66 s and from 1.04
 * to 0.61 s. The sink alone, in three alternated pairs: 38,269-55,079 faults against
 * 46,019-65,512, system CPU 0.67-0.77 s against 0.86-0.92, peak RSS 194-233 MB against 188-210
 * (its total CPU seconds varied with the machine more than between the two). Other C libraries
 * (musl) ignore the variable.
 */
export const CONNECTOR_ENVIRONMENT: Readonly<Record<string, string>> = {
  GLIBC_TUNABLES: "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=134217728",
};
