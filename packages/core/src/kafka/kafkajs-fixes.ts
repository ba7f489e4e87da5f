import { createRequire } from "node:module";
import { installFetchedBatch } from "./kafkajs-batch.js";
import { frameRequest, produceRequest, REPLACED_REQUEST_MODULES } from "./kafkajs-produce-request.js";
import { installRecordEncoding } from "./kafkajs-record-encoding.js";
import { decodeRecord, RECORD_DECODER_MODULE } from "./kafkajs-record-fix.js";

/**
 * kafkajs 2.2.4 groups a produce request's messages by partition with `[...current, message]`
 * inside a reduce: quadratic in the messages per topic of a request (about 200 million element
 * copies for a 20,000-event batch, most of the producer's CPU and GC time in a profile). This
 * puts a linear grouping with the same result in Node's module cache before kafkajs loads it.
 * Import this module before anything imports kafkajs; kafkajs is unmaintained, so the fix
 * cannot go upstream. It also installs the faster record batch and produce request encoding
 * of `kafkajs-record-encoding.ts` and `kafkajs-produce-request.ts`, the record decoder of
 * `kafkajs-record-fix.ts` and the consumer batch of `kafkajs-batch.ts`.
 */
interface GroupArguments<Message> {
  topic: string;
  partitionMetadata: unknown[];
  messages: Message[];
  partitioner: (options: { topic: string; partitionMetadata: unknown[]; message: Message }) => number;
}

export function groupMessagesPerPartition<Message>({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: GroupArguments<Message>): Record<number, Message[]> {
  const result: Record<number, Message[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const current = result[partition];
    if (current) current.push(message);
    else result[partition] = [message];
  }
  return result;
}

const require = createRequire(import.meta.url);

/** Puts `exports` in Node's module cache as the module at `path`, unless that module is loaded already. */
function replaceModule(path: string, exports: unknown): boolean {
  if (require.cache[path]) return false;
  const replacement = new (require("node:module") as { Module: new (id: string) => NodeJS.Module }).Module(
    path,
  );
  replacement.filename = path;
  replacement.loaded = true;
  replacement.exports = exports;
  require.cache[path] = replacement;
  return true;
}

replaceModule(
  require.resolve("kafkajs/src/producer/groupMessagesPerPartition.js"),
  groupMessagesPerPartition,
);
installRecordEncoding(replaceModule);
replaceModule(REPLACED_REQUEST_MODULES.produce, produceRequest);
replaceModule(REPLACED_REQUEST_MODULES.frame, frameRequest);
replaceModule(RECORD_DECODER_MODULE, decodeRecord);
installFetchedBatch();
