/** `npm run docs:config`: writes docs/config-reference.md from the connectors' zod schemas. */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderConfigReference } from "./render.js";

export const CONFIG_REFERENCE_FILE = fileURLToPath(
  new URL("../../docs/config-reference.md", import.meta.url),
);

mkdirSync(fileURLToPath(new URL("../../docs/", import.meta.url)), { recursive: true });
writeFileSync(CONFIG_REFERENCE_FILE, renderConfigReference());
process.stdout.write(`wrote ${CONFIG_REFERENCE_FILE}\n`);
