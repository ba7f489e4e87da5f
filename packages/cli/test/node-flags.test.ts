import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONNECTOR_NODE_FLAGS } from "../src/node-flags.js";

const read = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");

describe("the connector's node flags", () => {
  it("are the ones the tributary command's shebang passes", () => {
    const shebang = read("../bin/tributary.js").split("\n")[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${CONNECTOR_NODE_FLAGS.join(" ")}`);
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
