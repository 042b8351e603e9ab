/**
 * Record what each workload does into bounded, de-duplicated activity trees compatible with the
 * Datadog Agent's activity dumps.
 *
 * @packageDocumentation
 */
export { ActivityDump, type ActivityDumpInit } from './dump/activity-dump.js';
export { type DumpMetadata, emptyMetadata } from './dump/dump-metadata.js';
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
  CorruptInputError,
  EventParseError,
  InputTooLargeError,
  InvalidArgumentError,
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
