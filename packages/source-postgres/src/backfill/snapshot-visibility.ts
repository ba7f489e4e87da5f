import { TributaryError } from "@tributary/core";

const XID_SPAN = 1n << 32n;
const HALF_SPAN = 1n << 31n;

/**
 * Whether a transaction, by the 32-bit xid pgoutput gives, is visible in a snapshot given as
 * `pg_current_snapshot()::text` (`xmin:xmax:xip,…`, 64-bit xids). The xid is widened with the
 * epoch of `xmax`, which holds for any transaction within 2^31 xids of the snapshot.
 */
export function snapshotVisibility(snapshot: string): (xid: number) => boolean {
  const match = /^(\d+):(\d+):([\d,]*)$/.exec(snapshot.trim());
  if (!match) {
    throw new TributaryError("TRB_PG_PROTOCOL", `cannot read the snapshot '${snapshot}' PostgreSQL returned`);
  }
  const xmin = BigInt(match[1] as string);
  const xmax = BigInt(match[2] as string);
  const inProgress = new Set((match[3] as string).split(",").filter(Boolean).map(BigInt));
  return (xid: number) => {
    let wide = (xmax & ~(XID_SPAN - 1n)) | BigInt(xid >>> 0);
    if (wide > xmax + HALF_SPAN) wide -= XID_SPAN;
    else if (wide < xmax - HALF_SPAN) wide += XID_SPAN;
    if (wide < xmin) return true;
    return wide < xmax && !inProgress.has(wide);
  };
}

/** A key as a string that is equal for equal key values, however they were read. */
export function keyText(values: readonly unknown[]): string {
  return JSON.stringify(values, (_, value: unknown) => {
    if (typeof value === "bigint") return `${value}n`;
    if (Buffer.isBuffer(value)) return `x${value.toString("hex")}`;
    // JSON.stringify turns a Buffer into {type, data} before calling the replacer.
    if (value && typeof value === "object" && (value as { type?: unknown }).type === "Buffer") {
      return `x${Buffer.from((value as { data: number[] }).data).toString("hex")}`;
    }
    return value;
  });
}
