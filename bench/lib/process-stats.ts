import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export interface ProcessStats {
  /** Peak resident set size so far (VmHWM), MiB. */
  peakRssMb: number;
  /** CPU seconds used so far, user + system. */
  cpuSeconds: number;
}

/** Reads a live process's peak RSS and CPU time from /proc. */
export function readProcessStats(pid: number): ProcessStats {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return {
    peakRssMb: hwm ? Number(hwm[1]) / 1024 : Number.NaN,
    cpuSeconds: (utime + stime) / TICKS_PER_SECOND,
  };
}
