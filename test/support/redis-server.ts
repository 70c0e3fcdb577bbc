import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/logger.js';
import { openRedis, type RedisConnection } from '../../src/store/redis/redis-connection.js';

/** The Debian package's binary (`.ci/run` installs it when missing). */
const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

/**
 * A real redis-server on a free 127.0.0.1 port, in a temp dir of its own, with AOF on as the
 * docs ask (`appendfsync everysec`, no RDB snapshots). `restart()` starts it again on the same
 * port and dir, so what the AOF kept comes back.
 */
export class TestRedisServer {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<TestRedisServer> {
    const server = new TestRedisServer(await freePort(), mkdtempSync(path.join(os.tmpdir(), 'weworktop-redis-')));
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Stops the server the hard way (SIGKILL: what a crash leaves, the AOF's last second at most). */
  async kill(): Promise<void> {
    await this.halt('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.halt('SIGKILL');
    await this.launch();
  }

  /** Stops it and removes its dir. */
  async stop(): Promise<void> {
    await this.halt('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
    ];
    const child = spawn(REDIS_SERVER, [...args, '--save', '', '--daemonize', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
    this.process = child;
    const deadline = Date.now() + 10_000;
    while (!(await ping(this.port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('redis-server did not answer PING within 10 s');
      await sleep(50);
    }
  }

  private async halt(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    // Redis may refuse a SIGTERM (an AOF rewrite under way): it is then stopped the hard way.
    const late = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(late);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when the server answers PING with PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(500);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      answer += data.toString();
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export interface SuiteRedis {
  /** A connection under `prefix` (as process `owner`), closed after the suite; not yet connected. */
  open(prefix: string, owner?: string): RedisConnection;
  /** The same, once connected. */
  connect(prefix: string, owner?: string): Promise<RedisConnection>;
  /** Resolves once every connection opened so far is connected. */
  ready(): Promise<void>;
}

/**
 * A redis-server for the tests of the describe block this is called in: started before them,
 * stopped after them with every connection opened through it (after hooks the block registered
 * earlier, which run first).
 */
export function redisForSuite(): SuiteRedis {
  const logger = createLogger({ level: 'silent' });
  const connections: RedisConnection[] = [];
  let server: TestRedisServer | undefined;
  before(async () => {
    server = await TestRedisServer.start();
  });
  after(async () => {
    for (const connection of connections) await connection.close();
    await server?.stop();
  });
  const ready = async () => {
    for (const connection of connections) while (!connection.available()) await sleep(10);
  };
  const open = (prefix: string, owner = 'test') => {
    const connection = openRedis({ redis_url: server!.url, redis_prefix: prefix, lease_seconds: 1 }, logger, owner);
    connections.push(connection);
    return connection;
  };
  return {
    open,
    async connect(prefix, owner) {
      const connection = open(prefix, owner);
      while (!connection.available()) await sleep(10);
      return connection;
    },
    ready,
  };
}
