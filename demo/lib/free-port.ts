import { createServer } from "node:net";

/** `preferred` when nothing listens there on 127.0.0.1, else a free port the system picks. */
export async function freePort(preferred: number): Promise<number> {
  return (await listenable(preferred)) ?? (await listenable(0)) ?? preferred;
}

function listenable(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(undefined));
    server.listen(port, "0.0.0.0", () => {
      const address = server.address();
      const chosen = typeof address === "object" && address ? address.port : undefined;
      server.close(() => resolve(chosen));
    });
  });
}
