import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { type FileSystem, nodeFileSystem } from './file-system.js';

/** Options of {@link writeFileAtomically}. */
export interface AtomicWriteOptions {
  /** Mode of the new file. @default 0o640 */
  mode?: number;
  /** @default node:fs/promises */
  fileSystem?: FileSystem;
}

/**
 * Writes `bytes` to `path` so that a reader never sees part of it: into a temporary file in the
 * same directory, flushed to disk, then renamed over `path`, and the directory flushed so the
 * rename itself survives a crash. On any failure the temporary file is removed and `path` is
 * left as it was.
 */
export async function writeFileAtomically(
  path: string,
  bytes: Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const fs = options.fileSystem ?? nodeFileSystem;
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await fs.open(temporary, 'wx', options.mode ?? 0o640);
    let failure: unknown;
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (error) {
      failure = error;
    }
    // A failing close must not hide why the write failed.
    await handle.close().catch((error: unknown) => {
      failure ??= error;
    });
    if (failure !== undefined) throw failure;
    await fs.rename(temporary, path);
  } catch (error) {
    await fs.rm(temporary, { force: true }).catch(() => {});
    throw error;
  }
  await syncDirectory(fs, directory);
}

async function syncDirectory(fs: FileSystem, directory: string): Promise<void> {
  let handle: Awaited<ReturnType<FileSystem['open']>> | undefined;
  try {
    handle = await fs.open(directory, 'r');
    await handle.sync();
  } catch {
    // Some file systems cannot open or flush a directory; the file itself is already flushed.
  } finally {
    await handle?.close().catch(() => {});
  }
}
