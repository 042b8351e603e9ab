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
  parts: ReceivedPart[];
  /** The `event` part, parsed. */
  event: Record<string, unknown> | undefined;
  /** The `dump` part. */
  dump: ReceivedPart | undefined;
}

/** How the server answers one request: a status (with headers), a hang, or a reset connection. */
export type Reply = number | { status: number; headers?: Record<string, string> } | 'hang' | 'reset';

function parseMultipart(req: IncomingMessage, body: Buffer): Promise<ReceivedPart[]> {
  return new Promise((resolve, reject) => {
    const parts: ReceivedPart[] = [];
    const parser = busboy({ headers: req.headers });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () =>
        parts.push({ name, filename: info.filename, contentType: info.mimeType, body: Buffer.concat(chunks) }),
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
 * and answers with the next reply of its script (202 once the script runs out).
 */
export class IntakeServer {
  readonly uploads: ReceivedUpload[] = [];
  private readonly server: Server;
  private readonly replies: Reply[] = [];
  private readonly hanging = new Set<ServerResponse>();

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Starts a server on a free loopback port. */
  static async start(): Promise<IntakeServer> {
    const intake = new IntakeServer();
    await new Promise<void>((resolve) => intake.server.listen(0, '127.0.0.1', resolve));
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

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const reply = this.replies.shift() ?? 202;
    let parts: ReceivedPart[] = [];
    try {
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      parts = await parseMultipart(req, body);
    } catch {
      // Recorded with no parts: the test sees the body was not a valid upload.
    }
    const eventPart = parts.find((p) => p.name === 'event');
    this.uploads.push({
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      raw,
      parts,
      event: eventPart === undefined ? undefined : (JSON.parse(eventPart.body.toString('utf8')) as Record<string, unknown>),
      dump: parts.find((p) => p.name === 'dump'),
    });
    if (reply === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (reply === 'reset') {
      req.socket.destroy();
      return;
    }
    const { status, headers } = typeof reply === 'number' ? { status: reply, headers: {} } : reply;
    res.writeHead(status, headers);
    res.end();
  }
}
