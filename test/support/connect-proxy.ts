import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

/** A minimal HTTP CONNECT proxy on 127.0.0.1 that counts tunnels, to prove traffic goes through it. */
export async function startConnectProxy(): Promise<{
  url: string;
  readonly tunnels: number;
  readonly targets: string[];
  close(): Promise<void>;
}> {
  let tunnels = 0;
  const targets: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_request, response) => response.writeHead(405).end());
  server.on('connect', (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const [host, port] = (request.url ?? '').split(':');
    tunnels += 1;
    targets.push(request.url ?? '');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get tunnels() {
      return tunnels;
    },
    /** host:port of each tunnel, in order. */
    targets,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
