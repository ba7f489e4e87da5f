/**
 * Where a partition's records are cut into target transactions. Fetch boundaries follow bytes,
 * not `batch.maxEvents`: a fetch of 5,001 records cut at 5,000 left a transaction of one record,
 * which cost a commit and its round trips as a full one does (1,000,000 snapshot rows took 368
 * transactions instead of 200). So a short last piece is held back while more records wait in
 * the partition, and applied with the next fetch's.
 */

export interface TransactionLimits {
  /** Records in one transaction at most. */
  maxEvents: number;
  /** Bytes of keys and values in one transaction at most (a larger record goes alone). */
  maxBytes: number;
}

export interface TransactionCuts<R> {
  /** Full transactions, in order. */
  transactions: R[][];
  /** The records after them, short of both limits, to apply with the partition's next records. */
  held: R[];
}

interface SizedRecord {
  key: Buffer | null;
  value: Buffer | null;
}

const recordBytes = (record: SizedRecord) => (record.key?.length ?? 0) + (record.value?.length ?? 0);

/**
 * `records` (one partition's, in offset order) cut into transactions of up to `limits`. With
 * `moreWaiting` (the partition holds records past the last), a last transaction that reaches
 * neither limit is returned as `held` instead; without, every record is in a transaction.
 */
export function cutTransactions<R extends SizedRecord>(
  records: readonly R[],
  limits: TransactionLimits,
  moreWaiting: boolean,
): TransactionCuts<R> {
  const transactions: R[][] = [];
  let current: R[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = recordBytes(record);
    if (current.length > 0 && bytes + size > limits.maxBytes) {
      transactions.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
    if (current.length >= limits.maxEvents || bytes >= limits.maxBytes) {
      transactions.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length === 0) return { transactions, held: [] };
  if (moreWaiting) return { transactions, held: current };
  transactions.push(current);
  return { transactions, held: [] };
}
