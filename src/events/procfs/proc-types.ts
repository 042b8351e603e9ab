/** What `/proc/<pid>/stat` (and its neighbours) say about one process. */
export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** `comm`, at most 15 bytes. */
  readonly comm: string;
  /** Process state letter (`R`, `S`, `Z`, …). */
  readonly state: string;
  /** Start time in clock ticks since boot (field 22). */
  readonly startTicks: number;
  /** Whether the entry is a kernel thread (the `PF_KTHREAD` flag): it has no executable. */
  readonly kernelThread: boolean;
}

/** The workload a process belongs to, from `/proc/<pid>/cgroup`. */
export interface CgroupIdentity {
  /** The container id (64 hex digits, or the runtime's id), `""` outside containers. */
  readonly containerId: string;
  /** The cgroup path of the process (the unified v2 path, else the most specific v1 one), `""` when unknown. */
  readonly cgroupId: string;
  /** `docker`, `containerd`, `cri-o`, `podman`, `systemd`, or `""`. */
  readonly cgroupManager: string;
}

/** A listening (or bound) socket from `/proc/<pid>/net/{tcp,tcp6,udp,udp6}`. */
export interface ProcSocket {
  /** Socket inode: matches an fd target `socket:[<inode>]`. */
  readonly inode: bigint;
  readonly family: 'AF_INET' | 'AF_INET6';
  /** 6 for TCP, 17 for UDP. */
  readonly protocol: number;
  /** Local address in text form (`127.0.0.1`, `::1`, `0.0.0.0`). */
  readonly ip: string;
  readonly port: number;
  /** Kernel state number (10 = LISTEN for TCP; 7 = unconnected UDP). */
  readonly state: number;
}
