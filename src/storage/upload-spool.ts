import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CorruptInputError } from '../errors.js';
import { writeFileAtomically } from './atomic-write.js';
import { type FileSystem, nodeFileSystem } from './file-system.js';

/** An upload kept on disk until an endpoint takes it. */
export interface SpooledUpload {
  /** Endpoint URL (never with credentials: keys stay in the configuration). */
  readonly url: string;
  /** Fingerprint of the endpoint's key, to tell apart endpoints sharing a URL. */
  readonly keyId: string;
  readonly name: string;
  readonly format: string;
  readonly compression: boolean;
  readonly contentType: string;
  readonly contentEncoding: string | undefined;
  /** When it was spooled, epoch ms. */
  readonly createdAt: number;
  /** The request body as it was sent. */
  readonly body: Uint8Array;
}

const MAGIC = 'activity-dump-spool/1\n';
const EXTENSION = '.spool';

/**
 * A directory of uploads waiting to be re-sent: one file each, written atomically, holding a
 * header line and the exact request body. It never grows past `maxBytes`.
 */
export class UploadSpool {
  constructor(
    private readonly directory: string,
    private readonly maxBytes: number,
    private readonly fs: FileSystem = nodeFileSystem,
  ) {}

  /** Spools an upload; returns its file, or `undefined` when it would exceed `maxBytes`. */
  async add(upload: SpooledUpload): Promise<string | undefined> {
    await this.fs.mkdir(this.directory, { recursive: true, mode: 0o750 });
    const { body, ...header } = upload;
    const head = Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`, 'utf8');
    if ((await this.size()) + head.length + body.length > this.maxBytes) return undefined;
    const safeName = upload.name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
    const file = join(
      this.directory,
      `${String(upload.createdAt).padStart(15, '0')}-${safeName}-${randomBytes(4).toString('hex')}${EXTENSION}`,
    );
    await writeFileAtomically(file, Buffer.concat([head, body]), { mode: 0o600, fileSystem: this.fs });
    return file;
  }

  /** Spooled files, oldest first. */
  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await this.fs.readdir(this.directory);
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .filter((name) => name.endsWith(EXTENSION))
      .sort()
      .map((name) => join(this.directory, name));
  }

  /**
   * Reads a spooled upload back.
   * @throws {CorruptInputError} when the file is not a spooled upload.
   */
  async read(file: string): Promise<SpooledUpload> {
    const bytes = await this.fs.readFile(file);
    const magic = Buffer.from(MAGIC, 'utf8');
    const end = bytes.indexOf(0x0a, magic.length);
    if (!bytes.subarray(0, magic.length).equals(magic) || end < 0) {
      throw new CorruptInputError(`${file} is not a spooled upload`);
    }
    let header: Omit<SpooledUpload, 'body'>;
    try {
      header = JSON.parse(bytes.subarray(magic.length, end).toString('utf8')) as Omit<SpooledUpload, 'body'>;
    } catch {
      throw new CorruptInputError(`${file} has an unreadable header`);
    }
    if (typeof header?.url !== 'string' || typeof header.contentType !== 'string') {
      throw new CorruptInputError(`${file} has an incomplete header`);
    }
    return { ...header, body: bytes.subarray(end + 1) };
  }

  /** Deletes a spooled upload once delivered. */
  async remove(file: string): Promise<void> {
    await this.fs.rm(file, { force: true });
  }

  /** Renames a file that cannot be delivered (`.rejected`, `.corrupt`) so it is kept but not retried. */
  async setAside(file: string, suffix: string): Promise<void> {
    await this.fs.rename(file, `${file}.${suffix}`);
  }

  /** Bytes held in the spool directory, set-aside files included. */
  async size(): Promise<number> {
    let names: string[];
    try {
      names = await this.fs.readdir(this.directory);
    } catch {
      return 0;
    }
    let total = 0;
    for (const file of names.map((name) => join(this.directory, name))) {
      try {
        total += (await this.fs.stat(file)).size;
      } catch {
        // Delivered and removed meanwhile.
      }
    }
    return total;
  }
}
