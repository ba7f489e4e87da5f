import { deleteKafkaObjects } from "./kafka-offsets.js";
import { dropBenchObjects, SOURCE_PORT, TARGET_PORT } from "./postgres.js";

/**
 * Removes what runs named `prefix…` left on both clusters and in Kafka; returns the consumer
 * groups that still had members and were left.
 */
export async function removeBenchObjects(prefix: string): Promise<string[]> {
  await dropBenchObjects(prefix, SOURCE_PORT);
  await dropBenchObjects(prefix, TARGET_PORT);
  return deleteKafkaObjects(prefix);
}
