// A minimal QMP client (QEMU Machine Protocol): JSON lines over a Unix socket, one
// command at a time; asynchronous events are kept in `events`.
import * as net from 'node:net';

export class Qmp {
  readonly events: Record<string, unknown>[] = [];
  private buf = '';
  private waiting: ((msg: Record<string, unknown>) => void)[] = [];
  private queue: Record<string, unknown>[] = [];
  private closed: Error | null = null;

  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ('event' in msg) {
          this.events.push(msg);
          continue;
        }
        const w = this.waiting.shift();
        if (w) w(msg);
        else this.queue.push(msg);
      }
    });
    const onEnd = () => {
      this.closed = new Error('QMP connection closed');
      for (const w of this.waiting.splice(0)) w({ error: { class: 'closed', desc: 'QMP connection closed' } });
    };
    sock.on('close', onEnd);
    sock.on('error', onEnd);
  }

  private next(): Promise<Record<string, unknown>> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    if (this.closed) return Promise.resolve({ error: { class: 'closed', desc: this.closed.message } });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Connect (retrying until timeoutMs), read the greeting, enter command mode. */
  static async connect(socketPath: string, timeoutMs = 30_000): Promise<Qmp> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        const sock = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(socketPath);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        const q = new Qmp(sock);
        const greeting = await q.next();
        if (!('QMP' in greeting)) throw new Error(`not a QMP greeting: ${JSON.stringify(greeting)}`);
        await q.cmd('qmp_capabilities');
        return q;
      } catch (e) {
        if (Date.now() > end) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Run a command; resolves to its `return`, rejects with QEMU's error. */
  async cmd<T = any>(name: string, args?: Record<string, unknown>): Promise<T> {
    this.sock.write(JSON.stringify(args ? { execute: name, arguments: args } : { execute: name }) + '\n');
    const r = await this.next();
    if ('error' in r) {
      const err = r.error as { class?: string; desc?: string };
      throw new Error(`QMP ${name}: ${err.desc ?? JSON.stringify(err)}`);
    }
    return r.return as T;
  }

  close(): void {
    this.sock.destroy();
  }
}
