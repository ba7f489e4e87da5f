import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/index.js";

describe("createLogger", () => {
  it("writes JSON lines with bindings and redacts secrets", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: "info", bindings: { connector: "shop" }, destination });
    logger.info(
      { config: { postgres: { host: "db", password: "hunter2" }, kafka: { sasl: { password: "p" } } } },
      "starting",
    );
    logger.debug("hidden below the level");
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
    expect(line).toMatchObject({
      level: "info",
      connector: "shop",
      msg: "starting",
      config: {
        postgres: { host: "db", password: "[redacted]" },
        kafka: { sasl: { password: "[redacted]" } },
      },
    });
    expect(lines[0]).not.toContain("hunter2");
  });
});
