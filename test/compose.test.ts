import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

// docker-compose.yml must describe the same stack as test/stack/stack.sh (DESIGN.md section 8).
// No Docker here: these checks read the file's structure.

const root = fileURLToPath(new URL("..", import.meta.url));
const read = (path: string): string => readFileSync(join(root, path), "utf8");

type Service = {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | { published?: string | number })[];
  volumes?: (string | { source?: string; target?: string; read_only?: boolean })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
};
type Compose = { services: Record<string, Service>; configs?: Record<string, { content?: string }> };

const compose = parse(read("docker-compose.yml")) as Compose;
const services = compose.services;
const servers = ["kafka", "postgres", "postgres-peer", "mariadb"];
const connectors = {
  "source-postgres": ["source", "--config", "/config/source.yaml"],
  "sink-postgres": ["sink", "--config", "/config/sink.yaml"],
};

function service(name: string): Service {
  const found = services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

function env(name: string): Record<string, string> {
  const raw = service(name).environment ?? {};
  const pairs = Array.isArray(raw)
    ? raw.map((entry) => {
        const at = entry.indexOf("=");
        return [entry.slice(0, at), entry.slice(at + 1)] as const;
      })
    : Object.entries(raw).map(([key, value]) => [key, String(value)] as const);
  return Object.fromEntries(pairs);
}

function commandOf(name: string): string[] {
  const command = service(name).command ?? [];
  return Array.isArray(command) ? command : command.split(/\s+/);
}

function dependencies(name: string): [string, string | undefined][] {
  const deps = service(name).depends_on ?? [];
  return Array.isArray(deps)
    ? deps.map((dep) => [dep, undefined])
    : Object.entries(deps).map(([dep, options]) => [dep, options.condition]);
}

/** Host port of a "[ip:]host:container[/proto]" entry or of the long syntax. */
function publishedPort(entry: string | { published?: string | number }): number {
  if (typeof entry !== "string") return Number(entry.published);
  const parts = entry.replace(/\/\w+$/, "").split(":");
  return Number(parts.length >= 2 ? parts[parts.length - 2] : parts[0]);
}

/** The version stack.sh runs when KAFKA_VERSION is not set. */
function stackKafkaVersion(): string {
  const match = read("test/stack/lib/kafka.sh").match(/KAFKA_VERSION="\$\{KAFKA_VERSION:-([^}]+)\}"/);
  if (match?.[1] === undefined) throw new Error("no KAFKA_VERSION default in test/stack/lib/kafka.sh");
  return match[1];
}

describe("docker-compose.yml", () => {
  it("defines the servers and one service per connector", () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining([...servers, ...Object.keys(connectors)]));
  });

  it("names only defined services in depends_on", () => {
    for (const name of Object.keys(services)) {
      for (const [dep] of dependencies(name)) {
        expect(services, `${name} depends on ${dep}`).toHaveProperty([dep]);
      }
    }
  });

  it("gives every server a health check", () => {
    for (const name of servers) {
      expect(service(name).healthcheck?.test, name).toBeDefined();
    }
  });

  it("publishes the local stack's ports", () => {
    const expected: Record<string, number> = {
      kafka: 9092,
      postgres: 5432,
      "postgres-peer": 5433,
      mariadb: 3306,
    };
    for (const [name, port] of Object.entries(expected)) {
      expect((service(name).ports ?? []).map(publishedPort), name).toContain(port);
    }
  });

  it("builds each connector from a Dockerfile that exists, with its subcommand and config", () => {
    for (const [name, command] of Object.entries(connectors)) {
      const build = service(name).build;
      expect(build, `${name}.build`).toBeDefined();
      const context = typeof build === "string" ? build : (build?.context ?? ".");
      const dockerfile = typeof build === "string" ? "Dockerfile" : (build?.dockerfile ?? "Dockerfile");
      expect(existsSync(join(root, context, dockerfile)), `${name}: ${context}/${dockerfile}`).toBe(true);
      expect(commandOf(name)).toEqual(command);
      expect(service(name).volumes).toContain("./examples:/config:ro");
    }
  });

  it("starts connectors only once the servers they use are healthy", () => {
    const uses: Record<string, string[]> = {
      "source-postgres": ["kafka", "postgres"],
      "sink-postgres": ["kafka", "postgres-peer"],
    };
    for (const [name, needed] of Object.entries(uses)) {
      const deps = new Map(dependencies(name));
      for (const dep of needed) expect(deps.get(dep), `${name} -> ${dep}`).toBe("service_healthy");
    }
  });

  it("points connector overrides at the compose services, nested with a double underscore", () => {
    expect(env("source-postgres")).toMatchObject({
      TRIBUTARY_KAFKA__BROKERS: "kafka:9092",
      TRIBUTARY_POSTGRES__HOST: "postgres",
    });
    expect(env("sink-postgres")).toMatchObject({
      TRIBUTARY_KAFKA__BROKERS: "kafka:9092",
      TRIBUTARY_TARGET__HOST: "postgres-peer",
    });
    for (const name of Object.keys(connectors)) {
      for (const key of Object.keys(env(name))) expect(key).toMatch(/^TRIBUTARY_[A-Z0-9]+(__[A-Z0-9_]+)*$/);
    }
  });

  it("runs both PostgreSQL servers with logical decoding and replication allowed", () => {
    for (const name of ["postgres", "postgres-peer"]) {
      expect(service(name).image).toBe("postgres:15");
      const command = commandOf(name);
      for (const setting of [
        "wal_level=logical",
        "max_replication_slots=20",
        "max_wal_senders=20",
        "track_commit_timestamp=on",
      ]) {
        expect(command, name).toContain(setting);
      }
    }
    expect(compose.configs?.pg_hba?.content).toMatch(/^host\s+replication\s+all\s+all\s+trust$/m);
  });

  it("runs MariaDB with a full row-based binlog and GTIDs", () => {
    expect(service("mariadb").image).toBe("mariadb:10.11");
    const command = commandOf("mariadb").map((arg) => arg.replaceAll("_", "-"));
    expect(command).toEqual(
      expect.arrayContaining([
        "--binlog-format=ROW",
        "--binlog-row-image=FULL",
        "--server-id=1",
        "--log-slave-updates=ON",
        "--gtid-strict-mode=ON",
      ]),
    );
    expect(command.some((arg) => arg.startsWith("--log-bin"))).toBe(true);
  });

  it("runs the local stack's Kafka version in KRaft mode with its limits", () => {
    expect(service("kafka").image).toBe(`apache/kafka:${stackKafkaVersion()}`);
    const kafka = env("kafka");
    expect(kafka.KAFKA_PROCESS_ROLES?.split(",").sort()).toEqual(["broker", "controller"]);
    expect(kafka.KAFKA_CONTROLLER_QUORUM_VOTERS).toMatch(/^1@[\w.-]+:\d+$/);
    expect(kafka.KAFKA_NODE_ID).toBe("1");
    expect(kafka.CLUSTER_ID).toMatch(/^[\w-]{22}$/);
    expect(kafka.KAFKA_LISTENERS).toContain("CONTROLLER://");
    expect(kafka.KAFKA_ADVERTISED_LISTENERS).toContain("//kafka:9092");
    expect(kafka).toMatchObject({
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false",
      KAFKA_MESSAGE_MAX_BYTES: "67108864",
      KAFKA_REPLICA_FETCH_MAX_BYTES: "67108864",
      KAFKA_FETCH_MAX_BYTES: "67108864",
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: "1",
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: "1",
    });
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");

  it("builds on node:20-bookworm-slim and runs the CLI as the node user", () => {
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim AS build$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    // Its node flags: packages/cli/test/node-flags.test.ts.
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", .*"packages\/cli\/dist\/bin\.js"\]$/m);
  });

  it("is not sent node_modules, build output or git history", () => {
    const ignored = read(".dockerignore").split("\n");
    expect(ignored).toEqual(expect.arrayContaining(["node_modules", "dist", ".git", "bench/results"]));
  });
});
