/**
 * OIDs of the built-in PostgreSQL types the mapping treats specially. Built-in OIDs are fixed
 * in `pg_type.dat` and never change between server versions.
 */
export const PG_TYPE = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  xml: 142,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  bit: 1560,
  varbit: 1562,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

/** Size of a varlena header, which `varchar`, `bpchar` and `numeric` typmods include. */
export const VARHDRSZ = 4;
