import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP forwarder on a free local port, for tests that break a connector's connections the way
 * a network or a server does it: without an error message from the other end.
 */
export class TcpProxy {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    /** Both ends of every open connection. */
    private readonly sockets: Set<Socket>,
  ) {}

  static async start(targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> {
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = createConnection({ host: targetHost, port: targetPort });
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("the proxy has no TCP port");
    return new TcpProxy(server, address.port, sockets);
  }

  /** Connections open through the proxy now. */
  get connections(): number {
    return this.sockets.size / 2;
  }

  /** Closes every connection with a plain FIN on both sides, as a server ending it silently does. */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
