/** The `errors` section of the sink config: what a record the sink cannot apply does (DESIGN.md section 5). */
import { z } from "zod";

export const ERROR_TOLERANCES = ["none", "all"] as const;

export const errorsConfigSchema = z
  .object({
    tolerance: z
      .enum(ERROR_TOLERANCES)
      .default("none")
      .describe(
        "none: stop at a bad record (undecodable, or its row filter fails on it), applying nothing past it; " +
          "all: send it to the dead-letter topic with the reason in headers, and go on",
      ),
    deadLetterTopic: z
      .string()
      .regex(
        /^[A-Za-z0-9._-]{1,249}$/,
        "expected a Kafka topic name: 1-249 letters, digits, '.', '_' and '-'",
      )
      .optional()
      .describe("Dead-letter topic (default: <prefix>._dlq of the bad record's topic); created when missing"),
  })
  .prefault({})
  .describe("Bad records");

export type ErrorsConfig = z.output<typeof errorsConfigSchema>;
