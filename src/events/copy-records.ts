import type { FileInfo } from './file-info.js';
import type { Credentials, ProcessInfo } from './process.js';

// The tree keeps its own copies of the records events bring, with exactly the model's fields:
// nothing else a caller attached is retained, and later changes to the event cannot reach it.

const FILE_KEYS = [
  'path',
  'basename',
  'inode',
  'mountId',
  'mode',
  'uid',
  'gid',
  'user',
  'group',
  'ctime',
  'mtime',
  'filesystem',
  'inUpperLayer',
  'packageName',
  'packageVersion',
  'packageSrcVersion',
  'packageEpoch',
  'packageRelease',
  'packageSrcEpoch',
  'packageSrcRelease',
  'hashes',
  'hashState',
] as const satisfies readonly (keyof FileInfo)[];

const CREDENTIAL_KEYS = [
  'uid',
  'gid',
  'user',
  'group',
  'effectiveUid',
  'effectiveGid',
  'effectiveUser',
  'effectiveGroup',
  'fsUid',
  'fsGid',
  'fsUser',
  'fsGroup',
  'capEffective',
  'capPermitted',
] as const satisfies readonly (keyof Credentials)[];

const PROCESS_KEYS = [
  'pid',
  'tid',
  'ppid',
  'cookie',
  'isThread',
  'containerId',
  'cgroupId',
  'cgroupManager',
  'tty',
  'comm',
  'forkTime',
  'execTime',
  'exitTime',
  'argv0',
  'argsTruncated',
  'envsTruncated',
  'isExecExec',
] as const satisfies readonly (keyof ProcessInfo)[];

function pick<T extends object>(source: T, keys: readonly (keyof T)[], target: Partial<T>): void {
  for (const key of keys) {
    const value = source[key];
    if (value !== undefined) target[key] = Array.isArray(value) ? (value.slice() as T[keyof T]) : value;
  }
}

/** A copy of a file record with only the model's fields (arrays copied too). */
export function copyFileInfo(file: FileInfo, overrides?: Partial<FileInfo>): FileInfo {
  const out: Partial<FileInfo> = {};
  pick(file, FILE_KEYS, out);
  if (overrides !== undefined) Object.assign(out, overrides);
  return out as FileInfo;
}

/**
 * A copy of a process image with only the model's fields: no ancestors, no `isParentMissing`
 * (a property of one event's lineage, not of the process), and the given arguments and
 * environment in place of the event's.
 */
export function copyProcessInfo(process: ProcessInfo, args: string[], envs: string[]): ProcessInfo {
  const out: Partial<ProcessInfo> = {};
  pick(process, PROCESS_KEYS, out);
  out.file = copyFileInfo(process.file);
  if (process.credentials !== undefined) {
    const credentials: Partial<Credentials> = {};
    pick(process.credentials, CREDENTIAL_KEYS, credentials);
    out.credentials = credentials;
  }
  out.args = args;
  out.envs = envs;
  return out as ProcessInfo;
}
