import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import busboy from 'busboy';

/** One multipart part as the server parsed it. */
export interface ReceivedPart {
  name: string;
  filename: string | undefined;
  contentType: string;
  body: Buffer;
}

/** One request the server received, parsed. */
export interface ReceivedUpload {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** Body bytes as sent (gzipped when `content-encoding: gzip`). */
  raw: Buffer;
  /** The multipart body (`raw` gunzipped when `content-encoding: gzip`); empty when it did not gunzip. */
  body: Buffer;
  parts: ReceivedPart[];
  /** The `event` part, parsed. */
  event: Record<string, unknown> | undefined;
  /** The `dump` part. */
  dump: ReceivedPart | undefined;
}

/**
 * How the server answers one request: a status (with headers, sent once `until` settles when
 * given), a hang, or a reset connection.
 */
export type Reply =
  | number
  | { status: number; headers?: Record<string, string>; until?: Promise<unknown> }
  | 'hang'
  | 'reset';

/** Chooses the reply to a request the script has no reply for; `undefined` for the default. */
export type Responder = (upload: ReceivedUpload) => Reply | undefined;

function parseMultipart(req: IncomingMessage, body: Buffer): Promise<ReceivedPart[]> {
  return new Promise((resolve, reject) => {
    const parts: ReceivedPart[] = [];
    const parser = busboy({ headers: req.headers });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () =>
        parts.push({
          name,
          filename: info.filename,
          contentType: info.mimeType,
          body: Buffer.concat(chunks),
        }),
      );
    });
    parser.on('field', (name, value, info) =>
      parts.push({ name, filename: undefined, contentType: info.mimeType, body: Buffer.from(value) }),
    );
    parser.on('close', () => resolve(parts));
    parser.on('error', reject);
    parser.end(body);
  });
}

/**
 * A real HTTP server on 127.0.0.1 that takes uploads the way the intake does: it gunzips a
 * `content-encoding: gzip` body, parses the multipart body with busboy, records the request,
 * and answers with the next reply of its script; once the script runs out, with what the
 * responder chooses, else the default reply (202 unless set).
 */
export class IntakeServer {
  readonly uploads: ReceivedUpload[] = [];
  private readonly server: Server;
  private readonly replies: Reply[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];
  private responder: Responder | undefined;
  private fallback: Reply = 202;
  private activeNow = 0;
  private activeMax = 0;

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Starts a server on a free loopback port. */
  static async start(): Promise<IntakeServer> {
    const intake = new IntakeServer();
    await new Promise<void>((resolve, reject) => {
      intake.server.once('error', reject);
      intake.server.listen(0, '127.0.0.1', resolve);
    });
    return intake;
  }

  /** Base URL, such as `http://127.0.0.1:40123`. */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Queues the answers to the next requests. */
  reply(...replies: Reply[]): void {
    this.replies.push(...replies);
  }

  /** Answers the requests the script has no reply for (202 unless set). */
  replyByDefault(reply: Reply): void {
    this.fallback = reply;
  }

  /** Chooses replies per request once the script runs out (before the default); `undefined` removes it. */
  respondWith(responder: Responder | undefined): void {
    this.responder = responder;
  }

  /** Resolves once the server has received `count` requests in all. */
  waitForUploads(count: number): Promise<void> {
    if (this.uploads.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Requests received and not answered yet (held or hanging ones included). */
  get active(): number {
    return this.activeNow;
  }

  /** The most requests that were being handled at once. */
  get maxActive(): number {
    return this.activeMax;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.activeNow++;
    this.activeMax = Math.max(this.activeMax, this.activeNow);
    let answered = false;
    // Counted out before the reply is written, so a client never sees its slot free up first.
    const answer = () => {
      if (answered) return;
      answered = true;
      this.activeNow--;
    };
    res.once('close', answer);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const scripted = this.replies.shift();
    let body = Buffer.alloc(0);
    let parts: ReceivedPart[] = [];
    try {
      body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      parts = await parseMultipart(req, body);
    } catch {
      // Recorded with no parts: the test sees the body was not a valid upload.
    }
    const eventPart = parts.find((p) => p.name === 'event');
    const upload: ReceivedUpload = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      raw,
      body,
      parts,
      event:
        eventPart === undefined
          ? undefined
          : (JSON.parse(eventPart.body.toString('utf8')) as Record<string, unknown>),
      dump: parts.find((p) => p.name === 'dump'),
    };
    this.uploads.push(upload);
    for (const waiter of [...this.waiters]) {
      if (this.uploads.length < waiter.count) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    const reply = scripted ?? this.responder?.(upload) ?? this.fallback;
    if (reply === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (reply === 'reset') {
      req.socket.destroy();
      return;
    }
    const { status, headers, until } =
      typeof reply === 'number' ? { status: reply, headers: {}, until: undefined } : reply;
    if (until !== undefined) {
      this.hanging.add(res);
      await until.catch(() => {});
      this.hanging.delete(res);
      if (res.destroyed) return;
    }
    answer();
    res.writeHead(status, headers);
    res.end();
  }
}
