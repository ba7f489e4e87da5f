import { isSingleObject, type SchemaStore, TributaryError } from "@tributary/core";

/**
 * Decodes a key or value written with the codec. Parts not in single-object encoding (the
 * schema store's own fingerprint keys, say) are shown as their UTF-8 text.
 */
export async function decodeRecordPart(
  part: Buffer | null,
  store: SchemaStore,
  where: string,
): Promise<unknown> {
  if (part === null) return null;
  if (!isSingleObject(part)) return part.toString("utf8");
  try {
    return await store.decode(part);
  } catch (error) {
    if (error instanceof TributaryError) {
      throw new TributaryError(error.code, `cannot decode the ${where}: ${error.reason}`, {
        cause: error,
        retriable: error.retriable,
      });
    }
    throw error;
  }
}
