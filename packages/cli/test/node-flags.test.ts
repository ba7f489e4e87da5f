import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONNECTOR_ENVIRONMENT, CONNECTOR_NODE_FLAGS } from "../src/node-flags.js";

const read = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");

const assignments = Object.entries(CONNECTOR_ENVIRONMENT).map(([name, value]) => `${name}=${value}`);

describe("the connector's node flags and environment", () => {
  it("are the ones the tributary command's shebang passes", () => {
    const shebang = read("../bin/tributary.js").split("\n")[0];
    expect(shebang).toBe(`#!/usr/bin/env -S ${assignments.join(" ")} node ${CONNECTOR_NODE_FLAGS.join(" ")}`);
    // Linux reads at most 256 bytes of a shebang line.
    expect(Buffer.byteLength(shebang ?? "")).toBeLessThan(256);
  });

  it("are the ones the container image sets", () => {
    const lines = read("../../../Dockerfile").split("\n");
    const runtime = lines.slice(lines.findLastIndex((line) => line.startsWith("FROM ")));
    expect(runtime.filter((line) => line.startsWith("ENV ") && !line.startsWith("ENV NODE_ENV="))).toEqual(
      assignments.map((assignment) => `ENV ${assignment}`),
    );
  });

  it("are the ones the container image's entrypoint passes", () => {
    const entrypoint = read("../../../Dockerfile")
      .split("\n")
      .find((line) => line.startsWith("ENTRYPOINT "));
    expect(entrypoint).toBeDefined();
    const argv = JSON.parse(entrypoint?.slice("ENTRYPOINT ".length) ?? "[]") as string[];
    expect(argv).toEqual(["node", ...CONNECTOR_NODE_FLAGS, "packages/cli/dist/bin.js"]);
  });
});
