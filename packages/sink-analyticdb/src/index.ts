/** Version of this package, until the connector itself lands (see the open issues). */
export const packageName = "@tributary/sink-analyticdb";
