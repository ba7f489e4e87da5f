import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Integration tests run against the real local stack. `stack.sh up` is idempotent and quick
 * when everything is healthy; when a service cannot be brought up it exits non-zero and the
 * whole integration run fails loudly instead of skipping anything.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  execFileSync("bash", ["test/stack/stack.sh", "up"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  // Cross-process tests run the compiled CLI; keep it current with the sources.
  execFileSync("npx", ["tsc", "-b"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
}
