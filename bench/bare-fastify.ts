import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';

export interface BareServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The ceiling: fastify doing nothing but read the body (as a string, like the callback server)
 * and answer 200, on the same machine, same process and same load as the app.
 */
export async function startBareFastify(path: string): Promise<BareServer> {
  const server = Fastify({ logger: false });
  server.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  server.get(path, async (_request, reply) => reply.type('text/plain').send('ok'));
  server.post(path, async (_request, reply) => reply.status(200).send(''));
  await server.listen({ host: '127.0.0.1', port: 0 });
  return { url: `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`, close: () => server.close() };
}
