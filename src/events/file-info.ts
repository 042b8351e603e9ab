/**
 * State of the hash computation for a file, as the Datadog Agent reports it.
 * Values are the wire numbers of the agent's `HashState` protobuf enum.
 */
export const HashState = {
  NO_HASH: 0,
  DONE: 1,
  FILE_NOT_FOUND: 2,
  PATHNAME_RESOLUTION_ERROR: 3,
  FILE_TOO_BIG: 4,
  EVENT_TYPE_NOT_CONFIGURED: 5,
  HASH_WAS_RATE_LIMITED: 6,
  UNKNOWN_HASH_ERROR: 7,
} as const;

/** One of the {@link HashState} numbers (other numbers from newer agents are kept as is). */
export type HashState = number;

/**
 * A file as seen by the kernel: an executable, an opened file or a mapped file.
 *
 * Only `path` is required; every other field defaults to its zero value. 64-bit values
 * (inode, times) are `bigint` so that dumps round-trip bit for bit.
 */
export interface FileInfo {
  /** Absolute path of the file. */
  path: string;
  /** Last path component. @default derived from `path` */
  basename?: string;
  /**
   * Inode number. An explicit `0n` marks a file the kernel could not resolve, which stops
   * lineage walks there; leave it unset when unknown.
   */
  inode?: bigint;
  /** Mount id. A non-zero inode with an explicit mount id 0 marks a fileless (memfd) executable. */
  mountId?: number;
  /** File mode bits (type and permissions). @default 0 */
  mode?: number;
  /** Owner user id. @default 0 */
  uid?: number;
  /** Owner group id. @default 0 */
  gid?: number;
  /** Owner user name. @default "" */
  user?: string;
  /** Owner group name. @default "" */
  group?: string;
  /** Change time, nanoseconds since the Unix epoch. @default 0n */
  ctime?: bigint;
  /** Modification time, nanoseconds since the Unix epoch. @default 0n */
  mtime?: bigint;
  /** File system type name, such as `ext4`, `overlay`, `sysfs`. @default "" */
  filesystem?: string;
  /** Whether the file lives in the upper layer of an overlay file system. @default false */
  inUpperLayer?: boolean;
  /** Name of the package that ships the file. @default "" */
  packageName?: string;
  /** Version of that package. @default "" */
  packageVersion?: string;
  /** Source version of that package. @default "" */
  packageSrcVersion?: string;
  /** Package epoch, when known. */
  packageEpoch?: number;
  /** Package release, when known. */
  packageRelease?: string;
  /** Source package epoch, when known. */
  packageSrcEpoch?: number;
  /** Source package release, when known. */
  packageSrcRelease?: string;
  /** Hashes of the content, as `algorithm:hex` strings. @default [] */
  hashes?: string[];
  /** State of the hash computation. @default HashState.NO_HASH */
  hashState?: HashState;
}

/** The last `/`-separated component of a path (the whole path when it has no `/`). */
export function basenameOf(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47) end--;
  const slash = path.lastIndexOf('/', end - 1);
  return path.slice(slash + 1, end);
}

/** The basename of a file, from its `basename` field or else from its path. */
export function fileBasename(file: FileInfo): string {
  return file.basename ?? basenameOf(file.path);
}
