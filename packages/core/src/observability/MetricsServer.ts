import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Registry } from "prom-client";
import type { HttpConfig } from "../config/common-schema.js";
import type { Logger } from "./logger.js";

export interface HealthReport {
  healthy: boolean;
  /** Shown in the /healthz body: phase, lag, last error… */
  details?: Record<string, unknown>;
}

export interface MetricsServerOptions {
  host: string;
  /** 0 picks a free port; read `port` after `start`. */
  port: number;
  registry: Registry;
  health: () => HealthReport;
  logger: Logger;
}

/** A registry with the process metrics (RSS, CPU, event loop lag, GC) already collected. */
export function createMetricsRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Serves `GET /metrics` (Prometheus text format) and `GET /healthz` (200 or 503, JSON). */
export class MetricsServer {
  private server: Server | undefined;

  constructor(private readonly options: MetricsServerOptions) {}

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.options.port;
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      void this.respond(request.method ?? "GET", request.url ?? "/").then(({ status, type, body }) => {
        response.writeHead(status, { "content-type": type });
        response.end(body);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    this.options.logger.info({ host: this.options.host, port: this.port }, "serving /metrics and /healthz");
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async respond(
    method: string,
    url: string,
  ): Promise<{ status: number; type: string; body: string }> {
    const path = url.split("?")[0];
    if (method !== "GET") return { status: 405, type: "text/plain", body: "method not allowed\n" };
    if (path === "/metrics") {
      try {
        return {
          status: 200,
          type: this.options.registry.contentType,
          body: await this.options.registry.metrics(),
        };
      } catch (error) {
        this.options.logger.error({ err: error }, "collecting metrics failed");
        return { status: 500, type: "text/plain", body: "metrics unavailable\n" };
      }
    }
    if (path === "/healthz") {
      const report = this.options.health();
      const body = JSON.stringify(
        { status: report.healthy ? "ok" : "unhealthy", ...report.details },
        bigintAsString,
      );
      return { status: report.healthy ? 200 : 503, type: "application/json", body: `${body}\n` };
    }
    return { status: 404, type: "text/plain", body: "not found; try /metrics or /healthz\n" };
  }
}

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** Starts the /metrics and /healthz server that `http` configures; undefined when it is disabled. */
export async function startMetricsServer(
  http: HttpConfig,
  options: Omit<MetricsServerOptions, "host" | "port">,
): Promise<MetricsServer | undefined> {
  if (!http.enabled) return undefined;
  const server = new MetricsServer({ ...options, host: http.host, port: http.port });
  await server.start();
  return server;
}
