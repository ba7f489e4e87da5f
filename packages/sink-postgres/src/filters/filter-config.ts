/**
 * The `filters` section of the sink config: per source table (`schema.table`, `*` and `?` as
 * wildcards), which operations to apply and which rows.
 *
 * ```yaml
 * filters:
 *   "public.orders": { operations: [insert, update], where: "row.status != 'draft' && row.amount > 100" }
 *   "audit.*": { operations: [insert] }
 * ```
 */
import { z } from "zod";
import { compileRowExpression, RowExpressionInvalid } from "./row-expression.js";

export const FILTER_OPERATIONS = ["insert", "update", "delete", "truncate", "ddl"] as const;
export type FilterOperation = (typeof FILTER_OPERATIONS)[number];

const tableFilterSchema = z
  .object({
    operations: z
      .array(z.enum(FILTER_OPERATIONS))
      .min(1)
      .default([...FILTER_OPERATIONS])
      .describe(
        "Operations applied to the table: insert (also snapshot reads), update, delete, truncate, ddl " +
          "(schema changes applied with ddl: apply); the others are skipped",
      ),
    where: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Row filter, a CEL expression over row (source column name → value) and op giving a bool: the target " +
          "keeps the rows for which it is true (an update that moves a row out of it deletes the row there)",
      ),
  })
  .strict();

export type TableFilterConfig = z.output<typeof tableFilterSchema>;

export const filtersConfigSchema = z
  .record(z.string().min(1), tableFilterSchema)
  .default({})
  .superRefine((filters, context) => {
    for (const [table, filter] of Object.entries(filters)) {
      if (!table.includes(".")) {
        context.addIssue({
          code: "custom",
          path: [table],
          message: `expected a source table as schema.table (MariaDB/MySQL: database.table), * and ? as wildcards; got "${table}"`,
        });
      }
      if (filter.where === undefined) continue;
      try {
        compileRowExpression(filter.where);
      } catch (error) {
        if (!(error instanceof RowExpressionInvalid)) throw error;
        context.addIssue({
          code: "custom",
          path: [table, "where"],
          message: `the row filter of ${table} ${error.reason}`,
        });
      }
    }
  })
  .describe(
    'Per source table ("schema.table", * and ? as wildcards; an exact name wins, then the most specific pattern): ' +
      "the operations and rows to apply",
  );

export type FiltersConfig = z.output<typeof filtersConfigSchema>;
