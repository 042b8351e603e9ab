/**
 * Record what each workload does into bounded, de-duplicated activity trees compatible with the
 * Datadog Agent's activity dumps.
 *
 * @packageDocumentation
 */
export { type Clock, systemClock, type TimerHandle } from './clock.js';
export {
  ActivityDump,
  type ActivityDumpInit,
  type DumpInsertOutcome,
  type DumpState,
  type FinalizeOptions,
} from './dump/activity-dump.js';
export { type DumpMetadata, emptyMetadata } from './dump/dump-metadata.js';
export {
  createLoadConfig,
  type LoadConfig,
  type LoadConfigInit,
  normalizeEventTypes,
  withTimeout,
} from './dump/load-config.js';
export { ANY_TAG, WorkloadSelector } from './dump/workload-selector.js';
export { type DecodeOptions, decodeDump } from './encoding/decode-dump.js';
export { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './encoding/decode-limits.js';
export {
  DECODABLE_FORMATS,
  DUMP_FORMATS,
  type DumpFormat,
  FORMAT_EXTENSIONS,
  parseDumpFormat,
} from './encoding/dump-format.js';
export { type EncodeOptions, encodeDump } from './encoding/encode-dump.js';
export { dumpFileName } from './encoding/file-naming.js';
export { readDumpFile } from './encoding/read-dump-file.js';
export {
  type TranscodedFile,
  type TranscodeOptions,
  transcodeDump,
  transcodeFile,
} from './encoding/transcode.js';
export {
  ActivityDumpError,
  CapacityReachedError,
  CorruptInputError,
  DumpAlreadyRunningError,
  DumpNotFoundError,
  EventParseError,
  InputTooLargeError,
  InvalidArgumentError,
  ManagerClosedError,
  PayloadTooLargeError,
  ProcfsError,
  RemoteStorageError,
  StorageClosedError,
  StorageError,
  StorageWriteError,
  UnsupportedFormatError,
} from './errors.js';
export {
  type ActivityEvent,
  type AwsSecurityCredentials,
  type BindEvent,
  type CapabilitiesEvent,
  type DnsEvent,
  type DnsQuestion,
  type DnsResponse,
  EVENT_TYPES,
  type EventBase,
  type EventType,
  type ExecEvent,
  type ExitEvent,
  type FlowStats,
  type ForkEvent,
  type ImdsEvent,
  type ImdsInfo,
  type IpPort,
  type NetworkDevice,
  type NetworkFlow,
  type NetworkFlowEvent,
  type OpenEvent,
  type SyscallsEvent,
} from './events/activity-event.js';
export { parseCwsEvent } from './events/cws-json.js';
export { type FileInfo, HashState } from './events/file-info.js';
export type { MatchedRule } from './events/matched-rule.js';
export type { Credentials, ProcessContext, ProcessInfo } from './events/process.js';
export {
  type CgroupRuntime,
  containerIdFromCgroupPath,
  parseCgroupFile,
} from './events/procfs/cgroup-identity.js';
export { parseNetSockets, parseSocketTarget } from './events/procfs/net-sockets.js';
export {
  type ProcStatus,
  parseCmdline,
  parseMaps,
  parseStat,
  parseStatus,
} from './events/procfs/proc-parsers.js';
export {
  type ProcExe,
  type ProcFdTargets,
  type ProcFileSystem,
  ProcReader,
  type ProcReaderOptions,
  type ProcSkipReason,
} from './events/procfs/proc-reader.js';
export type { CgroupIdentity, ProcSocket, ProcStat } from './events/procfs/proc-types.js';
export { CLOCK_TICKS_PER_SECOND, type ProcEntry, ProcessTable } from './events/procfs/process-table.js';
export {
  type EventSink,
  type EventSourceStats,
  ProcfsEventSource,
  type ProcfsEventSourceOptions,
} from './events/procfs/procfs-event-source.js';
export {
  belongsTo,
  MAX_FDS_PER_PROCESS,
  MAX_MAPPED_FILES,
  ProcfsSnapshotter,
  type ProcfsSnapshotterOptions,
  type SnapshotStats,
} from './events/procfs/procfs-snapshotter.js';
export { type LogFn, type Logger, silentLogger } from './logger.js';
export {
  ActivityDumpManager,
  type DumpAccounting,
  EVENT_REJECTIONS,
  type EventOutcome,
  type EventRejection,
  type PeriodicTaskName,
  type StartDumpParams,
  type StopDumpParams,
} from './manager/activity-dump-manager.js';
export {
  ABSOLUTE_MIN_DUMP_TIMEOUT,
  EVENT_TYPE_REDUCTION_ORDER,
  type LoadControllerSettings,
  type LoadReduction,
  nextPartialLoadConfig,
  type PartialLoadConfig,
} from './manager/load-controller.js';
export {
  DUMP_DROP_REASONS,
  type DumpDropReason,
  type DumpEnd,
  type DumpOrigin,
  type ManagerEvents,
} from './manager/manager-events.js';
export {
  type ActivityDumpManagerOptions,
  contextTags,
  DEFAULT_LOCAL_STORAGE_DIRECTORY,
  DUMP_LIMITER_CAPACITY,
  DUMP_SOURCE,
  type DumpTreeOptions,
  MAX_TRACED_CGROUPS_COUNT,
  MIN_MAX_DUMP_SIZE_KIB,
  type RecorderMetadata,
} from './manager/manager-options.js';
export type { ProcessSnapshotter, SnapshotEvents, SnapshotRequest } from './manager/process-snapshotter.js';
export type { SecurityProfileProvider, SilentWorkload } from './manager/security-profile-provider.js';
export type { TagsResolver } from './manager/tags-resolver.js';
export {
  ADMISSION_REJECTIONS,
  type AdmissionListener,
  type AdmissionRejection,
  InMemoryWorkloadAdmission,
  type InMemoryWorkloadAdmissionOptions,
  type WorkloadAdmission,
} from './manager/workload-admission.js';
export type { WorkloadRef } from './manager/workload-ref.js';
export { METRIC_NAMES, type Metrics, noopMetrics } from './metrics.js';
export { type AtomicWriteOptions, writeFileAtomically } from './storage/atomic-write.js';
export type { DumpPersister, PersistOutcome } from './storage/dump-persister.js';
export { type FileSystem, nodeFileSystem } from './storage/file-system.js';
export { LocalStorage, type LocalStorageOptions } from './storage/local-storage.js';
export { MemoryStorage, type MemoryStorageOptions, type StoredDump } from './storage/memory-storage.js';
export {
  type RemoteEndpoint,
  RemoteStorage,
  type RemoteStorageOptions,
  type SpoolFlushResult,
} from './storage/remote-storage.js';
export type { RetryPolicy } from './storage/retry-policy.js';
export type { PersistItem, PersistReceipt, StorageBackend } from './storage/storage-backend.js';
export { type StorageEvents, StorageManager, type StorageManagerOptions } from './storage/storage-manager.js';
export {
  parseStorageFormat,
  parseStorageRequests,
  STORAGE_TYPES,
  type StorageRequest,
  type StorageRequestParams,
  type StorageType,
} from './storage/storage-request.js';
export {
  ActivityTree,
  type ActivityTreeOptions,
  type InsertOptions,
  type InsertOutcome,
} from './tree/activity-tree.js';
export { CAP_LAST_CAP, CapabilityNode } from './tree/capability-node.js';
export {
  DnsNode,
  type DnsRequest,
  MAX_DNS_RESPONSE_CNAMES,
  MAX_DNS_RESPONSE_IPS,
} from './tree/dns-node.js';
export { FileNode } from './tree/file-node.js';
export { GenerationType, generationTypeName, MAX_GENERATION_TYPE } from './tree/generation-type.js';
export type { ImageTagTimes } from './tree/image-tags.js';
export { ImdsNode } from './tree/imds-node.js';
export { type FlowCounters, FlowNode, NetworkDeviceNode } from './tree/network-device-node.js';
export type { OpenNode } from './tree/open-node.js';
export {
  NORMALIZED_PATH_MATCH,
  type PathPatternMatchOptions,
  pathPatternMatch,
} from './tree/path-pattern.js';
export {
  DEFAULT_PATHS_REDUCER_RULES,
  PathsReducer,
  type PathsReducerContext,
  type PathsReducerReplacer,
  type PathsReducerRule,
} from './tree/paths-reducer.js';
export { ProcessNode } from './tree/process-node.js';
export {
  ArgsScrubber,
  CWS_SENSITIVE_WORDS,
  DEFAULT_ENVS_WITH_VALUE,
  DEFAULT_SENSITIVE_WORDS,
  reduceEnvs,
} from './tree/process-scrubbing.js';
export { renderTreeDebug } from './tree/render-debug.js';
export { BindNode, SocketNode } from './tree/socket-node.js';
export { SyscallNode } from './tree/syscall-node.js';
export { ActivityTreeStats, DROP_REASONS, type DropReason, type EventCounters } from './tree/tree-stats.js';
