import type { CopyData } from "../../src/target/copy-in.js";

/** COPY data as the text it sends (chunks of UTF-8 joined). */
export function copyDataText(data: CopyData): string {
  return typeof data === "string" ? data : Buffer.concat(data).toString("utf8");
}
