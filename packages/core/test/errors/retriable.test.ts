import { describe, expect, it } from "vitest";
import { isConnectionLoss, TributaryError } from "../../src/index.js";
import { kafkaFailure } from "../../src/kafka/kafka-client.js";

const kafka = { brokers: ["127.0.0.1:9092"] } as Parameters<typeof kafkaFailure>[0];

/** An error as kafkajs builds them: a name, maybe a `type`, `retriable` and a cause. */
function kafkajsError(name: string, options: { type?: string; retriable?: boolean; cause?: Error } = {}) {
  const error = new Error(`${name} happened`, { cause: options.cause });
  error.name = name;
  return Object.assign(error, { type: options.type, retriable: options.retriable ?? true });
}

describe("isConnectionLoss", () => {
  it.each([
    ["a refused socket", Object.assign(new Error("x"), { code: "ECONNREFUSED" }), true],
    ["SQLSTATE class 08", Object.assign(new Error("x"), { code: "08006", severity: "FATAL" }), true],
    ["an unreachable target", new TributaryError("TRB_SINK_TARGET_UNREACHABLE", "x"), true],
    [
      "one along the cause chain",
      new TributaryError("TRB_SINK_APPLY", "x", { cause: new TributaryError("TRB_KAFKA_UNREACHABLE", "y") }),
      true,
    ],
    ["a serialization failure", Object.assign(new Error("x"), { code: "40001", severity: "ERROR" }), false],
    [
      "an errno-looking code that is a SQLSTATE-less string",
      Object.assign(new Error("x"), { code: "08XYZ" }),
      false,
    ],
    ["a plain error", new Error("x"), false],
  ])("%s: %s", (_, error, expected) => {
    expect(isConnectionLoss(error)).toBe(expected);
  });
});

describe("kafkaFailure", () => {
  it("calls a consumer crash over a lost broker a retriable connection loss, whatever kafkajs' wrapper says", () => {
    const crash = kafkajsError("KafkaJSNumberOfRetriesExceeded", {
      retriable: false,
      cause: kafkajsError("KafkaJSConnectionError"),
    });
    const error = kafkaFailure(kafka, "consumer group g stopped", crash);
    expect(error.code).toBe("TRB_KAFKA_UNREACHABLE");
    expect(error.retriable).toBe(true);
    expect(error.message).toContain("consumer group g stopped: cannot connect to Kafka at 127.0.0.1:9092");
    expect(isConnectionLoss(error)).toBe(true);
  });

  it("calls a refused authorization permanent", () => {
    const crash = kafkajsError("KafkaJSNumberOfRetriesExceeded", {
      retriable: false,
      cause: kafkajsError("KafkaJSProtocolError", { type: "GROUP_AUTHORIZATION_FAILED", retriable: false }),
    });
    const error = kafkaFailure(kafka, "consumer group g stopped", crash);
    expect(error.code).toBe("TRB_KAFKA");
    expect(error.retriable).toBe(false);
    expect(error.message).toContain("check kafka.sasl");
  });

  it("calls anything else a retriable Kafka failure", () => {
    const error = kafkaFailure(kafka, "consumer group g stopped", kafkajsError("KafkaJSError"));
    expect(error).toMatchObject({ code: "TRB_KAFKA", retriable: true });
    expect(isConnectionLoss(error)).toBe(false);
  });
});
