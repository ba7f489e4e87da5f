import { spawn } from "node:child_process";
import { connect, dropDatabase, freshDatabase, SOURCE_PORT, TARGET_PORT } from "./postgres.js";
import { BENCH_TABLE_SQL } from "./workload.js";

export interface CopyBaseline {
  rows: number;
  seconds: number;
  rowsPerSec: number;
}

function psql(port: number, database: string, command: string) {
  return spawn(
    "psql",
    [
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-U",
      "postgres",
      "-d",
      database,
      "-c",
      command,
    ],
    {
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
}

function finished(child: ReturnType<typeof psql>, what: string): Promise<void> {
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) =>
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${what} failed (${code}): ${stderr}`)),
    ),
  );
}

/**
 * `COPY bench.rows TO STDOUT` on the source piped into `COPY bench.rows FROM STDIN` on the
 * target cluster (into an empty table of the same definition), timed from the start of both
 * psql processes to the end of the load: the fastest plain copy between the two clusters.
 */
export async function measureCopyBaseline(
  sourceDatabase: string,
  targetDatabase: string,
  rows: number,
): Promise<CopyBaseline> {
  await freshDatabase(targetDatabase, TARGET_PORT);
  const target = await connect(targetDatabase, TARGET_PORT);
  try {
    await target.query(BENCH_TABLE_SQL);
    const started = performance.now();
    const out = psql(SOURCE_PORT, sourceDatabase, "COPY bench.rows TO STDOUT");
    const into = psql(TARGET_PORT, targetDatabase, "COPY bench.rows FROM STDIN");
    out.stdout?.pipe(into.stdin!);
    await Promise.all([finished(out, "COPY TO STDOUT"), finished(into, "COPY FROM STDIN")]);
    const seconds = (performance.now() - started) / 1000;
    const { rows: counted } = await target.query<{ n: string }>("SELECT count(*)::text AS n FROM bench.rows");
    if (Number(counted[0]?.n) !== rows)
      throw new Error(`the COPY baseline loaded ${counted[0]?.n} of ${rows} rows`);
    return { rows, seconds, rowsPerSec: rows / seconds };
  } finally {
    await target.end();
    await dropDatabase(targetDatabase, TARGET_PORT);
  }
}
