import { checkSourcePrerequisites } from "@tributary/source-postgres";
import { loadSourceConfig } from "../connector-config.js";

/** `tributary precheck --config FILE`: prints every problem; exit 1 when any is an error. */
export async function runPrecheck(file: string | undefined): Promise<number> {
  const { config } = loadSourceConfig(file);
  const problems = await checkSourcePrerequisites(config);
  for (const problem of problems) {
    process.stdout.write(
      `${problem.severity.toUpperCase()} [${problem.code}] ${problem.message}\n  fix: ${problem.fix}\n`,
    );
  }
  const errors = problems.filter((problem) => problem.severity === "error").length;
  process.stdout.write(errors === 0 ? "ready\n" : `${errors} problem(s) to fix\n`);
  return errors === 0 ? 0 : 1;
}
