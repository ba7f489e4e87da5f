import { Writable } from "node:stream";
import kafkajs from "kafkajs";
import { describe, expect, it } from "vitest";
import { pinoLogCreator } from "../../src/kafka/kafka-client.js";
import { createLogger } from "../../src/observability/logger.js";

/** Logs one kafkajs entry through `pinoLogCreator` at debug level; returns the pino level it got. */
function levelOf(kafkajsLevel: number, message: string, error?: string): string | undefined {
  const lines: { level: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split("\n")) if (line !== "") lines.push(JSON.parse(line));
      callback();
    },
  });
  const logger = createLogger({ level: "debug", destination });
  const log = pinoLogCreator(logger)(kafkajs.logLevel.DEBUG);
  log({
    namespace: "Connection",
    level: kafkajsLevel,
    label: "ERROR",
    log: { timestamp: "", message, ...(error === undefined ? {} : { error }) },
  });
  logger.flush();
  return lines[0]?.level;
}

describe("kafkajs's log in ours", () => {
  it("is one level down: its errors are warnings, its warnings information", () => {
    expect(levelOf(kafkajs.logLevel.ERROR, "Response Produce(key: 0, version: 7)", "Broker is down")).toBe(
      "warn",
    );
    expect(levelOf(kafkajs.logLevel.WARN, "Could not create topics")).toBe("info");
    expect(levelOf(kafkajs.logLevel.INFO, "Consumer has joined the group")).toBe("debug");
  });

  it("keeps a broker's passing answers about a topic it has just created at debug", () => {
    for (const error of [
      "This server does not host this topic-partition",
      "There is no leader for this topic-partition as we are in the middle of a leadership election",
    ]) {
      expect(levelOf(kafkajs.logLevel.ERROR, "Response Metadata(key: 3, version: 6)", error)).toBe("debug");
    }
  });
});
