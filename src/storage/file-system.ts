import * as fs from 'node:fs/promises';

/**
 * The file-system calls local storage makes: `node:fs/promises` by default. A test can wrap
 * them to make one fail the way a full or read-only disk does.
 */
export type FileSystem = Pick<
  typeof fs,
  'mkdir' | 'open' | 'rename' | 'rm' | 'readdir' | 'stat' | 'readFile'
>;

/** `node:fs/promises`. */
export const nodeFileSystem: FileSystem = fs;
