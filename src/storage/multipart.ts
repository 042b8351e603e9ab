import { randomBytes } from 'node:crypto';

/** One part of a `multipart/form-data` body. */
export interface MultipartPart {
  readonly name: string;
  readonly filename: string;
  readonly contentType: string;
  readonly body: Uint8Array;
}

/** A boundary as Go's `mime/multipart` draws one: 30 random bytes in lowercase hex. */
export function randomBoundary(): string {
  return randomBytes(30).toString('hex');
}

function quote(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/**
 * A `multipart/form-data` body laid out as the agent's Go writer does: `--<boundary>` before
 * each part, `Content-Disposition` then `Content-Type` headers, and the closing
 * `--<boundary>--` line.
 */
export function multipartBody(parts: readonly MultipartPart[], boundary: string): Uint8Array {
  const chunks: Buffer[] = [];
  parts.forEach((part, i) => {
    const head =
      `${i === 0 ? '' : '\r\n'}--${boundary}\r\n` +
      `Content-Disposition: form-data; name="${quote(part.name)}"; filename="${quote(part.filename)}"\r\n` +
      `Content-Type: ${part.contentType}\r\n\r\n`;
    chunks.push(
      Buffer.from(head, 'utf8'),
      Buffer.from(part.body.buffer, part.body.byteOffset, part.body.byteLength),
    );
  });
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'));
  return Buffer.concat(chunks);
}
