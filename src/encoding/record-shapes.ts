import { CorruptInputError } from '../errors.js';

/** The type a field of a plain record must have. */
type FieldType = 'string' | 'number' | 'bigint' | 'boolean' | 'strings' | 'stringMap' | Shape;

/** The fields a plain record may have, with their types; any other key is rejected. */
export interface Shape {
  readonly name: string;
  readonly fields: Readonly<Record<string, FieldType>>;
  /** Fields that must be present. */
  readonly required?: readonly string[];
}

export const FILE_INFO_SHAPE: Shape = {
  name: 'file',
  required: ['path'],
  fields: {
    path: 'string',
    basename: 'string',
    inode: 'bigint',
    mountId: 'number',
    mode: 'number',
    uid: 'number',
    gid: 'number',
    user: 'string',
    group: 'string',
    ctime: 'bigint',
    mtime: 'bigint',
    filesystem: 'string',
    inUpperLayer: 'boolean',
    packageName: 'string',
    packageVersion: 'string',
    packageSrcVersion: 'string',
    packageEpoch: 'number',
    packageRelease: 'string',
    packageSrcEpoch: 'number',
    packageSrcRelease: 'string',
    hashes: 'strings',
    hashState: 'number',
  },
};

const CREDENTIALS_SHAPE: Shape = {
  name: 'credentials',
  fields: {
    uid: 'number',
    gid: 'number',
    user: 'string',
    group: 'string',
    effectiveUid: 'number',
    effectiveGid: 'number',
    effectiveUser: 'string',
    effectiveGroup: 'string',
    fsUid: 'number',
    fsGid: 'number',
    fsUser: 'string',
    fsGroup: 'string',
    capEffective: 'bigint',
    capPermitted: 'bigint',
  },
};

export const PROCESS_INFO_SHAPE: Shape = {
  name: 'process',
  required: ['pid', 'file'],
  fields: {
    pid: 'number',
    tid: 'number',
    ppid: 'number',
    cookie: 'bigint',
    isThread: 'boolean',
    file: FILE_INFO_SHAPE,
    containerId: 'string',
    cgroupId: 'string',
    cgroupManager: 'string',
    tty: 'string',
    comm: 'string',
    forkTime: 'bigint',
    execTime: 'bigint',
    exitTime: 'bigint',
    credentials: CREDENTIALS_SHAPE,
    argv0: 'string',
    args: 'strings',
    argsTruncated: 'boolean',
    envs: 'strings',
    envsTruncated: 'boolean',
    isExecExec: 'boolean',
    isParentMissing: 'boolean',
  },
};

const METADATA_FIELDS: Readonly<Record<string, FieldType>> = {
  agentVersion: 'string',
  agentCommit: 'string',
  kernelVersion: 'string',
  linuxDistribution: 'string',
  arch: 'string',
  name: 'string',
  protobufVersion: 'string',
  differentiateArgs: 'boolean',
  comm: 'string',
  containerId: 'string',
  start: 'bigint',
  end: 'bigint',
  size: 'bigint',
  serialization: 'string',
  cgroupId: 'string',
  cgroupManager: 'string',
};

export const METADATA_SHAPE: Shape = {
  name: 'metadata',
  fields: METADATA_FIELDS,
  required: Object.keys(METADATA_FIELDS),
};

const AWS_CREDENTIALS_SHAPE: Shape = {
  name: 'securityCredentials',
  fields: {
    code: 'string',
    type: 'string',
    accessKeyId: 'string',
    lastUpdated: 'string',
    expirationRaw: 'string',
  },
};

export const IMDS_SHAPE: Shape = {
  name: 'imds',
  required: ['type'],
  fields: {
    type: 'string',
    cloudProvider: 'string',
    url: 'string',
    host: 'string',
    userAgent: 'string',
    server: 'string',
    aws: { name: 'aws', fields: { isImdsV2: 'boolean', securityCredentials: AWS_CREDENTIALS_SHAPE } },
  },
};

export const IP_PORT_SHAPE: Shape = {
  name: 'endpoint',
  required: ['ip', 'port'],
  fields: { ip: 'string', port: 'number' },
};
export const FLOW_STATS_SHAPE: Shape = {
  name: 'stats',
  required: ['dataSize', 'packetCount'],
  fields: { dataSize: 'bigint', packetCount: 'bigint' },
};
export const DEVICE_SHAPE: Shape = {
  name: 'device',
  required: ['netns', 'ifindex', 'ifname'],
  fields: { netns: 'number', ifindex: 'number', ifname: 'string' },
};
export const DNS_REQUEST_SHAPE: Shape = {
  name: 'request',
  required: ['name', 'type', 'class', 'size', 'count', 'ips', 'cnames'],
  fields: {
    name: 'string',
    type: 'number',
    class: 'number',
    size: 'number',
    count: 'number',
    ips: 'strings',
    cnames: 'strings',
  },
};
export const MATCHED_RULE_SHAPE: Shape = {
  name: 'rule',
  required: ['ruleId'],
  fields: {
    ruleId: 'string',
    ruleVersion: 'string',
    policyName: 'string',
    policyVersion: 'string',
    ruleTags: 'stringMap',
  },
};

/**
 * Checks that a decoded value is a plain record of this shape (own keys known, types right,
 * required keys present; `undefined` values allowed for optional keys) and returns it typed.
 * @throws {CorruptInputError} naming the first offending field.
 */
export function checkShape<T>(value: unknown, shape: Shape, path: string, format: string, field?: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CorruptInputError(`${format} ${where(path, field)}: expected a ${shape.name} record`);
  }
  const record = value as Record<string, unknown>;
  // for-in walks the own keys of these plain records without building a key array.
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const type = shape.fields[key];
    if (type === undefined)
      throw new CorruptInputError(`${format} ${where(path, field, key)}: unknown ${shape.name} field`);
    const v = record[key];
    if (v === undefined) continue;
    if (typeof type === 'object') {
      checkShape(v, type, where(path, field), format, key);
    } else if (type === 'stringMap') {
      checkStringMap(v, where(path, field, key), format);
    } else if (type === 'strings') {
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
        throw new CorruptInputError(`${format} ${where(path, field, key)}: expected a list of strings`);
      }
    } else if (typeof v !== type || (type === 'number' && !Number.isFinite(v))) {
      throw new CorruptInputError(`${format} ${where(path, field, key)}: expected a ${type}`);
    }
  }
  for (const key of shape.required ?? []) {
    if (record[key] === undefined)
      throw new CorruptInputError(`${format} ${where(path, field, key)}: missing`);
  }
  return value as T;
}

// Paths are only put together for an error message: a large dump has millions of fields.
function where(path: string, field: string | undefined, key?: string): string {
  const base = field === undefined ? path : `${path}.${field}`;
  return key === undefined ? base : `${base}.${key}`;
}

function checkStringMap(value: unknown, path: string, format: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CorruptInputError(`${format} ${path}: expected a map of strings`);
  }
  for (const v of Object.values(value)) {
    if (typeof v !== 'string') throw new CorruptInputError(`${format} ${path}: expected a map of strings`);
  }
}
