import { createRequire } from "node:module";

/**
 * kafkajs 2.2.4's consumer `Batch` drops the fetched messages before the fetched offset by
 * comparing each message's offset as a 64-bit `Long` parsed from its decimal string: several
 * objects per message, for every record a consumer fetches (about 0.3 of the sink's 9.6 CPU
 * seconds for 1,000,000 snapshot rows, in a profile, before the garbage they leave). Offsets
 * are non-negative decimal strings without leading zeros, so comparing their lengths, then
 * the strings, gives the same order. `FetchedBatch` is kafkajs's class with that comparison
 * in its constructor; every other method is kafkajs's own.
 */

interface BatchMessage {
  offset: string;
  isControlRecord?: boolean;
}

interface PartitionData {
  partition: number;
  highWatermark: string;
  abortedTransactions?: unknown[];
  messages: BatchMessage[];
}

type BatchClass = new (topic: string, fetchedOffset: string, partitionData: PartitionData) => object;

const require = createRequire(import.meta.url);
export const BATCH_MODULE = require.resolve("kafkajs/src/consumer/batch.js");
const Long = require("kafkajs/src/utils/long.js") as {
  fromValue(value: string): { lessThan(other: { toString(): string }): boolean };
};
const filterAbortedMessages = require("kafkajs/src/consumer/filterAbortedMessages.js") as (options: {
  messages: BatchMessage[];
  abortedTransactions: unknown[] | undefined;
}) => BatchMessage[];

/** Whether the offset `a` comes before `b` (decimal strings, as kafkajs writes offsets). */
export function offsetBefore(a: string, b: string): boolean {
  if (!isPlainDecimal(a) || !isPlainDecimal(b)) return Long.fromValue(a).lessThan(Long.fromValue(b));
  return a.length < b.length || (a.length === b.length && a < b);
}

/** Digits only, without a leading zero (but "0" itself). */
function isPlainDecimal(text: string): boolean {
  const first = text.charCodeAt(0);
  return first >= 0x31 && first <= 0x39 ? true : text === "0";
}

let kafkajsBatch: BatchClass | undefined;

/** kafkajs's own Batch class (tests compare `FetchedBatch` with it). */
export function kafkajsBatchClass(): BatchClass {
  kafkajsBatch ??= require(BATCH_MODULE) as BatchClass;
  return kafkajsBatch;
}

export class FetchedBatch {
  readonly fetchedOffset: string;
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  readonly rawMessages: BatchMessage[];
  readonly messagesWithinOffset: BatchMessage[];
  readonly messages: BatchMessage[];

  constructor(topic: string, fetchedOffset: string, partitionData: PartitionData) {
    this.fetchedOffset = fetchedOffset;
    const { abortedTransactions, messages } = partitionData;
    this.topic = topic;
    this.partition = partitionData.partition;
    this.highWatermark = partitionData.highWatermark;
    this.rawMessages = messages;
    const from = String(fetchedOffset);
    this.messagesWithinOffset = kept(messages, (message) => !offsetBefore(message.offset, from));
    this.messages = kept(
      filterAbortedMessages({ messages: this.messagesWithinOffset, abortedTransactions }),
      (message) => !message.isControlRecord,
    );
  }
}

/**
 * `messages.filter(keep)`, but `messages` itself when it keeps them all (nothing changes the
 * arrays): a fetch mostly keeps every message, and each copy was an array per fetch grown a
 * record at a time.
 */
function kept(messages: BatchMessage[], keep: (message: BatchMessage) => boolean): BatchMessage[] {
  for (let index = 0; index < messages.length; index++) {
    if (!keep(messages[index] as BatchMessage)) return messages.filter(keep);
  }
  return messages;
}

/**
 * Gives `FetchedBatch` kafkajs's methods and puts it in Node's module cache as kafkajs's Batch,
 * unless the consumer that uses it is loaded already. False when it could not.
 */
export function installFetchedBatch(): boolean {
  if (require.cache[require.resolve("kafkajs/src/consumer/consumerGroup.js")]) return false;
  const kafkajs = kafkajsBatchClass();
  const cached = require.cache[BATCH_MODULE];
  if ((kafkajs as unknown) === FetchedBatch || cached === undefined) return false;
  for (const name of Object.getOwnPropertyNames(kafkajs.prototype)) {
    if (name === "constructor") continue;
    const method = Object.getOwnPropertyDescriptor(kafkajs.prototype, name);
    if (method !== undefined) Object.defineProperty(FetchedBatch.prototype, name, method);
  }
  cached.exports = FetchedBatch;
  return true;
}
