import { Counter } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger, createMetricsRegistry, MetricsServer, startMetricsServer } from "../../src/index.js";

describe("MetricsServer", () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.stop();
  });

  it("serves Prometheus text on /metrics and health on /healthz", async () => {
    const registry = createMetricsRegistry({ connector: "shop" });
    const events = new Counter({
      name: "tributary_test_events_total",
      help: "events",
      registers: [registry],
    });
    events.inc(3);
    let healthy = true;
    server = new MetricsServer({
      host: "127.0.0.1",
      port: 0,
      registry,
      health: () => ({ healthy, details: { phase: "streaming", lagBytes: 12n } }),
      logger: createLogger({ level: "silent" }),
    });
    await server.start();
    const base = `http://127.0.0.1:${server.port}`;

    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    const text = await metrics.text();
    expect(text).toContain('tributary_test_events_total{connector="shop"} 3');
    expect(text).toContain("process_resident_memory_bytes");

    const ok = await fetch(`${base}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: "ok", phase: "streaming", lagBytes: "12" });

    healthy = false;
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});

describe("startMetricsServer", () => {
  it("starts nothing when http.enabled is false, and serves when it is true", async () => {
    const options = {
      registry: createMetricsRegistry(),
      health: () => ({ healthy: true }),
      logger: createLogger({ level: "silent" }),
    };
    expect(await startMetricsServer({ enabled: false, host: "127.0.0.1", port: 0 }, options)).toBeUndefined();
    const server = await startMetricsServer({ enabled: true, host: "127.0.0.1", port: 0 }, options);
    try {
      expect((await fetch(`http://127.0.0.1:${server?.port}/healthz`)).status).toBe(200);
    } finally {
      await server?.stop();
    }
  });
});
