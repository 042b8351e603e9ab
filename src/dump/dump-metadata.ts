/**
 * Descriptive metadata of a dump, as the agent writes it (`Metadata` in its protobuf schema).
 * 64-bit values are `bigint` nanoseconds or bytes so they round-trip exactly.
 */
export interface DumpMetadata {
  agentVersion: string;
  agentCommit: string;
  kernelVersion: string;
  linuxDistribution: string;
  /** `x64`, `arm64` or `ia32`: tells which syscall table the syscall numbers use. */
  arch: string;
  /** Dump name, `activity-dump-` followed by 10 letters. */
  name: string;
  /** Always `v1`. */
  protobufVersion: string;
  differentiateArgs: boolean;
  /** Legacy comm selector. */
  comm: string;
  containerId: string;
  /** Start, ns since the Unix epoch. */
  start: bigint;
  /** End, ns since the Unix epoch. */
  end: bigint;
  /** Size in bytes, as recorded by the writer. */
  size: bigint;
  /** Format the dump was serialized with. */
  serialization: string;
  cgroupId: string;
  cgroupManager: string;
}

/** Metadata with every field at its zero value, optionally overridden. */
export function emptyMetadata(overrides: Partial<DumpMetadata> = {}): DumpMetadata {
  return {
    agentVersion: '',
    agentCommit: '',
    kernelVersion: '',
    linuxDistribution: '',
    arch: '',
    name: '',
    protobufVersion: '',
    differentiateArgs: false,
    comm: '',
    containerId: '',
    start: 0n,
    end: 0n,
    size: 0n,
    serialization: '',
    cgroupId: '',
    cgroupManager: '',
    ...overrides,
  };
}
