import { describe, expect, it } from "vitest";
import { redactSecrets, toJsonValue } from "../../src/index.js";

describe("toJsonValue", () => {
  it("keeps every value exact", () => {
    expect(
      toJsonValue({
        small: 42n,
        big: 9223372036854775807n,
        negative: -9007199254740993n,
        bytes: Buffer.from([0, 255]),
        nan: Number.NaN,
        inf: Number.NEGATIVE_INFINITY,
        nested: [{ a: null, b: undefined }],
      }),
    ).toEqual({
      small: 42,
      big: "9223372036854775807",
      negative: "-9007199254740993",
      bytes: "AP8=",
      nan: "NaN",
      inf: "-Infinity",
      nested: [{ a: null, b: null }],
    });
  });
});

describe("redactSecrets", () => {
  it("hides secret-looking fields at any depth and leaves the rest", () => {
    expect(
      redactSecrets({
        postgres: { password: "x", user: "u" },
        kafka: { sasl: { password: "y" } },
        token: "",
      }),
    ).toEqual({
      postgres: { password: "[redacted]", user: "u" },
      kafka: { sasl: { password: "[redacted]" } },
      token: "",
    });
  });
});
