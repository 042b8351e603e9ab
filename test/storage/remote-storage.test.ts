import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createClock } from '@sinonjs/fake-timers';
import { Agent, request as undiciRequest } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../src/clock.js';
import { ActivityDump } from '../../src/dump/activity-dump.js';
import { emptyMetadata } from '../../src/dump/dump-metadata.js';
import { decodeDump } from '../../src/encoding/decode-dump.js';
import type { DumpFormat } from '../../src/encoding/dump-format.js';
import {
  InvalidArgumentError,
  PayloadTooLargeError,
  RemoteStorageError,
  StorageClosedError,
} from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { METRIC_NAMES } from '../../src/metrics.js';
import type { PersistOutcome } from '../../src/storage/dump-persister.js';
import { createPersistItems } from '../../src/storage/persist-item.js';
import { RemoteStorage, type RemoteStorageOptions } from '../../src/storage/remote-storage.js';
import type { PersistItem } from '../../src/storage/storage-backend.js';
import { StorageManager } from '../../src/storage/storage-manager.js';
import type { StorageRequest } from '../../src/storage/storage-request.js';
import { clockFromFakeTimers } from '../../src/testing/fake-clock.js';
import { RecordingMetrics } from '../../src/testing/recording-metrics.js';
import { conformanceDump } from '../../src/testing/storage-conformance.js';
import { IntakeServer, type ReceivedUpload } from '../support/intake-server.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** A key distinctive enough that finding it anywhere means it leaked. */
const API_KEY = 'dd-SECRET-apikey-6b1f0c9e2a7d4e58';
/** The request timeout of tests where the server answers at once (told apart from retry delays). */
const TIMEOUT = 5_000;
const SECDUMP = '/api/v2/secdump';

const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  // Last in, first out: storages shut down before the servers they talk to close.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startIntake(): Promise<IntakeServer> {
  const intake = await IntakeServer.start();
  cleanups.push(() => intake.close());
  return intake;
}

/** The URL of a loopback port nothing listens on (connections are refused). */
async function closedPortUrl(): Promise<string> {
  const intake = await IntakeServer.start();
  const url = intake.url;
  await intake.close();
  return url;
}

async function tempDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'ad-remote-spool-'));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

/** A RemoteStorage with fast retries and deterministic jitter, shut down after the test. */
function remoteStorage(options: RemoteStorageOptions): RemoteStorage {
  const storage = new RemoteStorage({
    timeout: TIMEOUT,
    minRetryDelay: 2,
    maxRetryDelay: 8,
    random: () => 0.5,
    ...options,
  });
  cleanups.push(() => storage.shutdown());
  return storage;
}

function endpoint(url: string, apiKey = API_KEY) {
  return { url, apiKey };
}

function remoteRequest(format: DumpFormat, compression = false): StorageRequest {
  return { type: 'remote_storage', format, compression, outputDirectory: '' };
}

function itemOf(dump: ActivityDump, index = 0): PersistItem {
  const item = createPersistItems(dump)[index];
  if (item === undefined || 'failure' in item) throw new Error('the test dump did not encode');
  return item;
}

function newItem(format: DumpFormat = 'json', compression = false): PersistItem {
  return itemOf(conformanceDump([remoteRequest(format, compression)]));
}

/** What the store rejected with (fails the test when it resolved). */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  }
  throw new Error('expected a rejection');
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A short real wait, for "nothing more happens" checks (never asserted on as a duration). */
function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A clock that records the delay of every timer it schedules (request timeouts and retry delays). */
function recordingClock(inner: Clock = systemClock) {
  const scheduled: number[] = [];
  const waiters: Array<{ test: (ms: number) => boolean; count: number; resolve: () => void }> = [];
  const clock: Clock = {
    now: () => inner.now(),
    setTimeout(callback, ms) {
      scheduled.push(ms);
      for (const waiter of [...waiters]) {
        if (scheduled.filter(waiter.test).length < waiter.count) continue;
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      return inner.setTimeout(callback, ms);
    },
    clearTimeout: (handle) => inner.clearTimeout(handle),
  };
  return {
    clock,
    scheduled,
    /** Retry delays: every timer that is not a request timeout of `timeout` ms. */
    delays: (timeout = TIMEOUT) => scheduled.filter((ms) => ms !== timeout),
    /** Resolves once `count` timers matching `test` were scheduled. */
    waitFor(test: (ms: number) => boolean, count = 1): Promise<void> {
      if (scheduled.filter(test).length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ test, count, resolve }));
    },
  };
}

interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

/** A pino-style logger that keeps every call. */
function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const method =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, fields, message });
    };
  return {
    lines,
    logger: { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') },
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { ...value, name: value.name, message: value.message, stack: value.stack, cause: value.cause };
  }
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * Everything reachable from a value as text: own properties (enumerable or not, symbols
 * included), error messages, stacks and causes, byte arrays as latin-1.
 */
function reveal(value: unknown, seen = new WeakSet<object>()): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'function') return '';
  if (typeof value !== 'object') return String(value);
  if (seen.has(value)) return '';
  seen.add(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  const out: string[] = [];
  if (value instanceof Error)
    out.push(value.name, value.message, value.stack ?? '', reveal(value.cause, seen));
  for (const key of Reflect.ownKeys(value)) {
    out.push(String(key));
    try {
      out.push(reveal((value as Record<PropertyKey, unknown>)[key], seen));
    } catch {
      // A throwing getter hides nothing of ours.
    }
  }
  return out.join(' ');
}

function logText(lines: readonly LogLine[]): string {
  return lines
    .map(
      (line) =>
        `${line.level} ${line.message} ${JSON.stringify(line.fields, errorReplacer)} ${reveal(line.fields)}`,
    )
    .join('\n');
}

async function spoolFiles(directory: string, suffix = '.spool'): Promise<string[]> {
  return (await readdir(directory))
    .filter((name) => name.endsWith(suffix))
    .sort()
    .map((name) => join(directory, name));
}

/** The header line of a spool file, parsed. */
async function spoolHeader(file: string): Promise<Record<string, unknown>> {
  const bytes = await readFile(file);
  const first = bytes.indexOf(0x0a);
  const second = bytes.indexOf(0x0a, first + 1);
  expect(bytes.subarray(0, first).toString('utf8')).toBe('activity-dump-spool/1');
  return JSON.parse(bytes.subarray(first + 1, second).toString('utf8')) as Record<string, unknown>;
}

/** The multipart body the agent's Go writer produces for these two parts. */
function agentMultipart(boundary: string, event: Uint8Array, format: string, dump: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${boundary}\r\n` +
        'Content-Disposition: form-data; name="event"; filename=""\r\n' +
        'Content-Type: application/json\r\n\r\n',
    ),
    event,
    Buffer.from(
      `\r\n--${boundary}\r\n` +
        `Content-Disposition: form-data; name="dump"; filename="dump.${format}"\r\n` +
        'Content-Type: application/json\r\n\r\n',
    ),
    dump,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

function boundaryOf(upload: ReceivedUpload): string {
  const match = /^multipart\/form-data; boundary=([0-9a-f]{60})$/.exec(upload.headers['content-type'] ?? '');
  expect(match, `content-type ${upload.headers['content-type']}`).not.toBeNull();
  return match![1]!;
}

function eventPart(upload: ReceivedUpload): Buffer {
  const part = upload.parts.find((p) => p.name === 'event');
  expect(part).toBeDefined();
  return part!.body;
}

// ---------------------------------------------------------------------------------------------
// The request
// ---------------------------------------------------------------------------------------------

describe('RemoteStorage: the request, as the agent sends it', () => {
  it('POSTs one uncompressed multipart body to /api/v2/secdump with dd-api-key', async () => {
    const intake = await startIntake();
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)] });
    const item = newItem('json', false);
    const receipt = await storage.store(item);

    expect(intake.uploads).toHaveLength(1);
    const upload = intake.uploads[0]!;
    expect(upload.method).toBe('POST');
    expect(upload.path).toBe(SECDUMP);
    expect(upload.headers['dd-api-key']).toBe(API_KEY);
    expect(upload.headers['content-encoding']).toBeUndefined();
    expect(upload.headers['dd-evp-origin']).toBeUndefined();
    const boundary = boundaryOf(upload);

    // Two file parts, in order, with the agent's names, file names and (always JSON) content types.
    expect(upload.parts.map((p) => p.name)).toEqual(['event', 'dump']);
    expect(upload.dump?.filename).toBe('dump.json');
    expect(upload.parts.map((p) => p.contentType)).toEqual(['application/json', 'application/json']);
    // Byte for byte what Go's mime/multipart writes (this also pins `filename=""` on the event part).
    expect(upload.raw.equals(agentMultipart(boundary, eventPart(upload), 'json', item.encoded))).toBe(true);
    expect(upload.body.equals(upload.raw)).toBe(true);

    // The dump part is the encoded dump, and decodes to the same dump.
    expect(Buffer.from(item.encoded).equals(upload.dump!.body)).toBe(true);
    const back = decodeDump(upload.dump!.body, { format: 'json' });
    expect(back.name).toBe(item.dump.name);
    expect(back.tags).toEqual(item.dump.tags);
    expect(back.tree.stats.processNodes).toBe(item.dump.tree.stats.processNodes);
    expect([...back.tree.dnsNames]).toEqual([...item.dump.tree.dnsNames]);

    expect(receipt).toEqual({
      location: `${intake.url}${SECDUMP}#${item.dump.name}.json`,
      size: upload.raw.length,
    });
  });

  it('gzips the whole multipart body (not the dump part) and says so with content-encoding', async () => {
    const intake = await startIntake();
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)] });
    const item = newItem('protobuf', true);
    const receipt = await storage.store(item);

    const upload = intake.uploads[0]!;
    expect(upload.headers['content-encoding']).toBe('gzip');
    // A gzip stream with no name and mtime 0, like Go's writer.
    expect([...upload.raw.subarray(0, 3)]).toEqual([0x1f, 0x8b, 0x08]);
    expect(upload.raw[3]).toBe(0); // FLG: no FNAME
    expect(upload.raw.readUInt32LE(4)).toBe(0); // MTIME
    const multipart = gunzipSync(upload.raw);
    const boundary = boundaryOf(upload);
    expect(multipart.equals(agentMultipart(boundary, eventPart(upload), 'protobuf', item.encoded))).toBe(
      true,
    );

    // The dump part inside is the plain encoded dump; its size is the uncompressed one.
    const dumpPart = upload.dump!;
    expect(dumpPart.filename).toBe('dump.protobuf');
    expect(dumpPart.contentType).toBe('application/json');
    expect([dumpPart.body[0], dumpPart.body[1]]).not.toEqual([0x1f, 0x8b]);
    expect(dumpPart.body.equals(Buffer.from(item.encoded))).toBe(true);
    expect(upload.event?.activity_dump_size).toBe(item.encoded.length);
    expect(decodeDump(dumpPart.body, { format: 'protobuf' }).name).toBe(item.dump.name);
    expect(receipt).toEqual({
      location: `${intake.url}${SECDUMP}#${item.dump.name}.protobuf.gz`,
      size: upload.raw.length,
    });
  });

  it.each([
    ['json', true],
    ['protobuf', false],
    ['msgpack', false],
    ['msgpack', true],
    ['profile', false],
    ['dot', true],
  ] as const)('sends %s (compressed: %s) as dump.<format>, byte for byte', async (format, compression) => {
    const intake = await startIntake();
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)] });
    const item = newItem(format, compression);
    await storage.store(item);
    const upload = intake.uploads[0]!;
    expect(upload.headers['content-encoding']).toBe(compression ? 'gzip' : undefined);
    expect(upload.dump?.filename).toBe(`dump.${format}`);
    expect(upload.dump?.contentType).toBe('application/json');
    expect(upload.dump?.body.equals(Buffer.from(item.encoded))).toBe(true);
    expect(upload.event?.serialization).toBe(format);
    expect(upload.event?.activity_dump_size).toBe(item.encoded.length);
    if (format !== 'dot') {
      const back = decodeDump(upload.dump!.body, { format });
      expect(back.tree.stats.processNodes).toBe(item.dump.tree.stats.processNodes);
    }
  });

  it.each([
    ['', SECDUMP],
    ['/', SECDUMP],
    ['/intake', `/intake${SECDUMP}`],
    ['/intake/', `/intake${SECDUMP}`],
    ['/intake//', `/intake${SECDUMP}`],
    [SECDUMP, SECDUMP],
    [`${SECDUMP}/`, SECDUMP],
    [`/intake${SECDUMP}`, `/intake${SECDUMP}`],
  ])('endpoint path %j is posted to %s', async (suffix, path) => {
    const intake = await startIntake();
    const storage = remoteStorage({ endpoints: [endpoint(`${intake.url}${suffix}`)] });
    expect(storage.endpoints).toEqual([`${intake.url}${path}`]);
    const item = newItem();
    const receipt = await storage.store(item);
    expect(intake.uploads.map((u) => u.path)).toEqual([path]);
    expect(receipt.location).toBe(`${intake.url}${path}#${item.dump.name}.json`);
  });

  it('draws a fresh boundary for every upload', async () => {
    const intake = await startIntake();
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)] });
    await storage.store(newItem());
    await storage.store(newItem());
    const [a, b] = intake.uploads.map(boundaryOf);
    expect(a).not.toBe(b);
  });

  it('sends the event metadata of §5.6: every field, in the agent key order, and no container_id', async () => {
    const intake = await startIntake();
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)] });
    const dump = conformanceDump([remoteRequest('json', true)]);
    dump.service = 'payments';
    Object.assign(dump.metadata!, {
      agentVersion: '7.55.0',
      agentCommit: 'abc1234',
      kernelVersion: '6.1.0-18-amd64',
      linuxDistribution: 'debian',
      arch: 'x64',
      differentiateArgs: true,
      comm: 'bash',
      cgroupId: 'cg-1',
      start: 1_700_000_000_123_456_789n,
      end: 1_700_000_060_500_000_000n,
    });
    const item = itemOf(dump);
    await storage.store(item);

    const upload = intake.uploads[0]!;
    const text = eventPart(upload).toString('utf8');
    const event = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(event)).toEqual([
      'host',
      'service',
      'ddsource',
      'ddtags',
      'dns_names',
      'agent_version',
      'agent_commit',
      'kernel_version',
      'linux_distribution',
      'arch',
      'name',
      'protobuf_version',
      'differentiate_args',
      'comm',
      'start',
      'end',
      'activity_dump_size',
      'serialization',
    ]);
    expect(event).toEqual({
      host: 'conformance-host',
      service: 'payments',
      ddsource: 'runtime-security-agent',
      ddtags: dump.tags.join(','),
      dns_names: ['example.com'],
      agent_version: '7.55.0',
      agent_commit: 'abc1234',
      kernel_version: '6.1.0-18-amd64',
      linux_distribution: 'debian',
      arch: 'x64',
      name: dump.name,
      protobuf_version: 'v1',
      differentiate_args: true,
      comm: 'bash',
      start: '2023-11-14T22:13:20.123456789Z',
      end: '2023-11-14T22:14:20.5Z',
      activity_dump_size: item.encoded.length,
      serialization: 'json',
    });
    expect(event.ddtags).toBe(`image_name:conformance,image_tag:1,${dump.tags[2]}`);
    // The dump is in container c0ffee, but the event never says so.
    expect(text).not.toContain('container_id');
    expect(text).not.toContain('c0ffee');
    expect(upload.dump!.body.toString('utf8')).toContain('c0ffee');
  });

  it('leaves out the empty optional fields, keeps the mandatory ones, writes Go zero times', async () => {
    const intake = await startIntake();
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)] });
    const dump = new ActivityDump({
      metadata: emptyMetadata({ name: 'activity-dump-minimal' }),
      storageRequests: [remoteRequest('json')],
    });
    const item = itemOf(dump);
    await storage.store(item);
    const event = JSON.parse(eventPart(intake.uploads[0]!).toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(event)).toEqual([
      'dns_names',
      'agent_version',
      'agent_commit',
      'kernel_version',
      'linux_distribution',
      'arch',
      'name',
      'protobuf_version',
      'differentiate_args',
      'start',
      'end',
      'activity_dump_size',
      'serialization',
    ]);
    expect(event).toMatchObject({
      dns_names: [],
      agent_version: '',
      name: 'activity-dump-minimal',
      protobuf_version: 'v1',
      differentiate_args: false,
      start: '0001-01-01T00:00:00Z',
      end: '0001-01-01T00:00:00Z',
      activity_dump_size: item.encoded.length,
      serialization: 'json',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Statuses and retries
// ---------------------------------------------------------------------------------------------

describe('RemoteStorage: only 202 is success', () => {
  it.each([200, 201, 204])('%i is a failure, not retried', async (status) => {
    const intake = await startIntake();
    intake.replyByDefault(status);
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)], retries: 3 });
    const error = await rejectionOf(storage.store(newItem()));
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect(error).not.toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({
      code: 'AD_ERR_REMOTE_STORAGE',
      status,
      attempts: 1,
      endpoint: `${intake.url}${SECDUMP}`,
    });
    expect(error.message).toContain(`HTTP ${status}`);
    expect(intake.uploads).toHaveLength(1);
  });

  it.each([400, 401, 403, 404])('%i is not retried', async (status) => {
    const intake = await startIntake();
    intake.replyByDefault(status);
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)], retries: 3 });
    const error = await rejectionOf(storage.store(newItem()));
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect(error).toMatchObject({ status, attempts: 1 });
    expect(intake.uploads).toHaveLength(1);
  });

  it('413 is a PayloadTooLargeError, never retried, counted by sendTelemetry per format and compression', async () => {
    const intake = await startIntake();
    intake.respondWith((upload) => (upload.event?.serialization === 'msgpack' ? 202 : 413));
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)], retries: 3 });

    const error = await rejectionOf(storage.store(newItem('json', true)));
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect(error).toMatchObject({ code: 'AD_ERR_PAYLOAD_TOO_LARGE', status: 413, attempts: 1 });
    expect(intake.uploads).toHaveLength(1);
    await expect(storage.store(newItem('json', true))).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(storage.store(newItem('protobuf', false))).rejects.toBeInstanceOf(PayloadTooLargeError);
    await storage.store(newItem('msgpack', false));
    expect(intake.uploads).toHaveLength(4);

    const metrics = new RecordingMetrics();
    storage.sendTelemetry(metrics);
    expect(metrics.records).toHaveLength(2);
    expect(metrics.records).toEqual(
      expect.arrayContaining([
        {
          kind: 'count',
          name: 'datadog.security_agent.activity_dump.entity_too_large',
          value: 2,
          tags: ['format:json', 'compression:true'],
        },
        {
          kind: 'count',
          name: 'datadog.security_agent.activity_dump.entity_too_large',
          value: 1,
          tags: ['format:protobuf', 'compression:false'],
        },
      ]),
    );
    // Swapped to 0: nothing more to send until the next 413.
    const again = new RecordingMetrics();
    storage.sendTelemetry(again);
    expect(again.records).toEqual([]);
    await expect(storage.store(newItem('protobuf', false))).rejects.toBeInstanceOf(PayloadTooLargeError);
    storage.sendTelemetry(again);
    expect(again.records).toEqual([
      {
        kind: 'count',
        name: METRIC_NAMES.entityTooLarge,
        value: 1,
        tags: ['format:protobuf', 'compression:false'],
      },
    ]);
  });

  it('a 413 from one endpoint does not hide the other one taking the dump (still counted)', async () => {
    const [big, good] = [await startIntake(), await startIntake()];
    big.replyByDefault(413);
    const storage = remoteStorage({ endpoints: [endpoint(big.url), endpoint(good.url)] });
    const item = newItem();
    const receipt = await storage.store(item);
    expect(receipt.location).toBe(`${good.url}${SECDUMP}#${item.dump.name}.json`);
    const metrics = new RecordingMetrics();
    storage.sendTelemetry(metrics);
    expect(metrics.total(METRIC_NAMES.entityTooLarge, ['format:json', 'compression:false'])).toBe(1);
  });
});

describe('RemoteStorage: retries', () => {
  it.each([500, 502, 503, 504, 429])('%i then 202: retried and delivered', async (status) => {
    const intake = await startIntake();
    intake.reply(status);
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)] });
    const item = newItem('json', true);
    const receipt = await storage.store(item);
    expect(intake.uploads).toHaveLength(2);
    // The retry is the same request.
    expect(intake.uploads[1]!.raw.equals(intake.uploads[0]!.raw)).toBe(true);
    expect(intake.uploads[1]!.headers['content-type']).toBe(intake.uploads[0]!.headers['content-type']);
    expect(receipt.size).toBe(intake.uploads[1]!.raw.length);
  });

  it('honours 429 with Retry-After: 0', async () => {
    const intake = await startIntake();
    intake.reply({ status: 429, headers: { 'retry-after': '0' } });
    const rec = recordingClock();
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)], clock: rec.clock });
    await storage.store(newItem());
    expect(intake.uploads).toHaveLength(2);
    expect(rec.delays()).toEqual([1.5]); // the backoff: Retry-After 0 asks for no more
  });

  it.each([
    [429, '3600'],
    [503, '1'],
    [503, 'Fri, 31 Dec 2100 23:59:59 GMT'],
  ])('%i with a Retry-After of %s beyond maxRetryDelay ends the retries', async (status, retryAfter) => {
    const intake = await startIntake();
    intake.replyByDefault({ status, headers: { 'retry-after': retryAfter } });
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)], retries: 5, maxRetryDelay: 50 });
    const error = await rejectionOf(storage.store(newItem()));
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect(error).toMatchObject({ status, attempts: 1 });
    expect(intake.uploads).toHaveLength(1);
  });

  it('waits at least Retry-After (seconds or an HTTP date) on the injected clock', async () => {
    const intake = await startIntake();
    const fake = createClock(Date.UTC(2030, 0, 1));
    const rec = recordingClock(clockFromFakeTimers(fake));
    intake.reply(
      { status: 429, headers: { 'retry-after': '2' } },
      // An HTTP date 3 s after the time of the second answer (2 s from now).
      { status: 503, headers: { 'retry-after': new Date(fake.now + 5_000).toUTCString() } },
    );
    const storage = remoteStorage({
      endpoints: [endpoint(intake.url)],
      clock: rec.clock,
      minRetryDelay: 10,
      maxRetryDelay: 10_000,
    });
    const storing = storage.store(newItem());
    await rec.waitFor((ms) => ms === 2_000);
    expect(intake.uploads).toHaveLength(1);
    await fake.tickAsync(1_999);
    expect(intake.uploads).toHaveLength(1);
    await fake.tickAsync(1);
    await intake.waitForUploads(2);
    await rec.waitFor((ms) => ms === 3_000);
    await fake.tickAsync(3_000);
    await storing;
    expect(intake.uploads).toHaveLength(3);
    expect(rec.delays()).toEqual([2_000, 3_000]);
  });

  it('backs off exponentially from minRetryDelay, capped at maxRetryDelay, with equal jitter', async () => {
    for (const [random, expected] of [
      [0.5, [3, 6, 7.5]],
      [0, [2, 4, 5]],
    ] as const) {
      const intake = await startIntake();
      intake.replyByDefault(503);
      const rec = recordingClock();
      const storage = remoteStorage({
        endpoints: [endpoint(intake.url)],
        clock: rec.clock,
        retries: 3,
        minRetryDelay: 4,
        maxRetryDelay: 10,
        random: () => random,
      });
      const error = await rejectionOf(storage.store(newItem()));
      expect(error).toMatchObject({ status: 503, attempts: 4 });
      expect(rec.delays()).toEqual(expected);
      expect(rec.scheduled.filter((ms) => ms === TIMEOUT)).toHaveLength(4); // one timeout per attempt
    }
  });

  it.each([0, 1, 4])(
    'retries exhausted (retries: %i): RemoteStorageError with attempts = retries + 1',
    async (retries) => {
      const intake = await startIntake();
      intake.replyByDefault(503);
      const storage = remoteStorage({ endpoints: [endpoint(intake.url)], retries });
      const error = await rejectionOf(storage.store(newItem()));
      expect(error).toBeInstanceOf(RemoteStorageError);
      expect(error).toMatchObject({
        status: 503,
        attempts: retries + 1,
        endpoint: `${intake.url}${SECDUMP}`,
      });
      expect(error.message).toContain(`(attempt ${retries + 1})`);
      expect(intake.uploads).toHaveLength(retries + 1);
    },
  );

  it('times out a hanging server and retries', async () => {
    const intake = await startIntake();
    intake.reply('hang', 'hang');
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)], timeout: 40, retries: 3 });
    await storage.store(newItem());
    expect(intake.uploads).toHaveLength(3);
  });

  it('a server that always hangs: a timeout error, no status, after every retry', async () => {
    const intake = await startIntake();
    intake.replyByDefault('hang');
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)], timeout: 30, retries: 1 });
    const error = await rejectionOf(storage.store(newItem()));
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect(error).toMatchObject({ status: undefined, attempts: 2 });
    expect(error.message).toContain('no response within 30 ms');
    expect((error.cause as Error).message).toBe('no response within 30 ms');
    expect(intake.uploads).toHaveLength(2);
  });

  it('the request timeout runs on the injected clock too', async () => {
    const intake = await startIntake();
    intake.reply('hang');
    const fake = createClock(0);
    const rec = recordingClock(clockFromFakeTimers(fake));
    const storage = remoteStorage({
      endpoints: [endpoint(intake.url)],
      clock: rec.clock,
      timeout: 60_000,
      minRetryDelay: 8,
      maxRetryDelay: 8,
    });
    const storing = storage.store(newItem());
    await intake.waitForUploads(1);
    await settle(); // a real wait changes nothing: only the fake clock times the request out
    expect(intake.uploads).toHaveLength(1);
    await fake.tickAsync(60_000);
    await rec.waitFor((ms) => ms === 6);
    await fake.tickAsync(6);
    await storing;
    expect(intake.uploads).toHaveLength(2);
    expect(rec.scheduled).toEqual([60_000, 6, 60_000]);
  });

  it('retries a reset connection, then delivers', async () => {
    const intake = await startIntake();
    intake.reply('reset');
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)] });
    const item = newItem('msgpack', true);
    await storage.store(item);
    expect(intake.uploads).toHaveLength(2);
    expect(intake.uploads[1]!.dump?.body.equals(Buffer.from(item.encoded))).toBe(true);
  });

  it('connections that are always reset or refused: a network error with its cause', async () => {
    const intake = await startIntake();
    intake.replyByDefault('reset');
    const refused = await closedPortUrl();
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)], retries: 2 });
    const error = await rejectionOf(storage.store(newItem()));
    expect(error).toMatchObject({ status: undefined, attempts: 3 });
    expect(error.cause).toBeInstanceOf(Error);
    expect(intake.uploads).toHaveLength(3);

    const other = remoteStorage({ endpoints: [endpoint(refused)], retries: 1 });
    const refusal = await rejectionOf(other.store(newItem()));
    expect(refusal).toMatchObject({ status: undefined, attempts: 2, endpoint: `${refused}${SECDUMP}` });
    expect((refusal.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});

// ---------------------------------------------------------------------------------------------
// Several endpoints and the spool
// ---------------------------------------------------------------------------------------------

describe('RemoteStorage: several endpoints', () => {
  it('every endpoint gets the same body', async () => {
    const [a, b] = [await startIntake(), await startIntake()];
    const storage = remoteStorage({ endpoints: [endpoint(a.url, 'key-a'), endpoint(b.url, 'key-b')] });
    const item = newItem('json', true);
    const receipt = await storage.store(item);
    expect(a.uploads).toHaveLength(1);
    expect(b.uploads).toHaveLength(1);
    expect(a.uploads[0]!.raw.equals(b.uploads[0]!.raw)).toBe(true);
    expect([a.uploads[0]!.headers['dd-api-key'], b.uploads[0]!.headers['dd-api-key']]).toEqual([
      'key-a',
      'key-b',
    ]);
    const name = `${item.dump.name}.json.gz`;
    expect(receipt.location.split(' ')).toEqual([`${a.url}${SECDUMP}#${name}`, `${b.url}${SECDUMP}#${name}`]);
    expect(receipt.size).toBe(a.uploads[0]!.raw.length);
  });

  it('one endpoint down (a closed port): the store succeeds at the good one, the down one is attempted', async () => {
    const good = await startIntake();
    const down = await closedPortUrl();
    const { logger, lines } = recordingLogger();
    const storage = remoteStorage({ endpoints: [endpoint(down), endpoint(good.url)], retries: 2, logger });
    const item = newItem();
    const receipt = await storage.store(item);
    expect(receipt.deferred).toBeUndefined();
    expect(receipt.location).toBe(`${good.url}${SECDUMP}#${item.dump.name}.json`);
    expect(good.uploads).toHaveLength(1);
    const warnings = lines.filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields).toMatchObject({
      endpoint: `${down}${SECDUMP}`,
      status: undefined,
      attempts: 3,
      spooled: false,
    });
  });

  it('one endpoint replying 503: its copy is spooled, and flushSpool delivers it once it recovers', async () => {
    const [good, down] = [await startIntake(), await startIntake()];
    down.replyByDefault(503);
    const spoolDirectory = await tempDirectory();
    const storage = remoteStorage({
      endpoints: [endpoint(good.url), endpoint(down.url)],
      retries: 2,
      spoolDirectory,
    });
    const item = newItem('json', true);
    const receipt = await storage.store(item);
    expect(receipt.deferred).toBeUndefined();
    expect(receipt.location).toBe(`${good.url}${SECDUMP}#${item.dump.name}.json.gz`);
    expect(down.uploads).toHaveLength(3); // attempted, with its retries

    const [file, ...more] = await spoolFiles(spoolDirectory);
    expect(more).toEqual([]);
    expect(await spoolHeader(file!)).toMatchObject({
      url: `${down.url}${SECDUMP}`,
      name: item.dump.name,
      format: 'json',
      compression: true,
      contentType: down.uploads[0]!.headers['content-type'],
      contentEncoding: 'gzip',
    });

    // Still down: kept.
    expect(await storage.flushSpool()).toEqual({ sent: 0, failed: 1, setAside: 0, skipped: 0 });
    expect(await spoolFiles(spoolDirectory)).toEqual([file]);

    down.replyByDefault(202);
    const before = down.uploads.length;
    expect(await storage.flushSpool()).toEqual({ sent: 1, failed: 0, setAside: 0, skipped: 0 });
    expect(down.uploads).toHaveLength(before + 1);
    const delivered = down.uploads.at(-1)!;
    expect(delivered.raw.equals(down.uploads[0]!.raw)).toBe(true);
    expect(delivered.headers['content-type']).toBe(down.uploads[0]!.headers['content-type']);
    expect(delivered.headers['content-encoding']).toBe('gzip');
    expect(delivered.headers['dd-api-key']).toBe(API_KEY);
    expect(delivered.dump?.body.equals(Buffer.from(item.encoded))).toBe(true);
    expect(good.uploads).toHaveLength(1); // the good endpoint is not sent it again
    expect(await readdir(spoolDirectory)).toEqual([]);
    expect(await storage.flushSpool()).toEqual({ sent: 0, failed: 0, setAside: 0, skipped: 0 });
  });

  it('every endpoint down with a spool: deferred, nothing lost, delivered after recovery', async () => {
    const [a, b] = [await startIntake(), await startIntake()];
    a.replyByDefault(503);
    b.replyByDefault('reset');
    const spoolDirectory = await tempDirectory();
    const storage = remoteStorage({
      endpoints: [endpoint(a.url), endpoint(b.url)],
      retries: 1,
      spoolDirectory,
    });
    const item = newItem('protobuf', false);
    const receipt = await storage.store(item);
    expect(receipt.deferred).toBe(true);
    const files = await spoolFiles(spoolDirectory);
    expect(files).toHaveLength(2);
    expect(receipt.location.split(' ').sort()).toEqual(files);
    expect(receipt.size).toBe(a.uploads[0]!.raw.length);
    expect((await Promise.all(files.map(spoolHeader))).map((h) => h.url).sort()).toEqual(
      [`${a.url}${SECDUMP}`, `${b.url}${SECDUMP}`].sort(),
    );

    a.replyByDefault(202);
    b.replyByDefault(202);
    expect(await storage.flushSpool()).toEqual({ sent: 2, failed: 0, setAside: 0, skipped: 0 });
    for (const intake of [a, b]) {
      const last = intake.uploads.at(-1)!;
      expect(last.raw.equals(a.uploads[0]!.raw)).toBe(true);
      expect(decodeDump(last.dump!.body, { format: 'protobuf' }).name).toBe(item.dump.name);
    }
    expect(await readdir(spoolDirectory)).toEqual([]);
  });

  it('every endpoint down without a spool: the store rejects', async () => {
    const intake = await startIntake();
    intake.replyByDefault(503);
    const down = await closedPortUrl();
    const storage = remoteStorage({ endpoints: [endpoint(intake.url), endpoint(down)], retries: 1 });
    const error = await rejectionOf(storage.store(newItem()));
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect(error).toMatchObject({ endpoint: `${intake.url}${SECDUMP}`, status: 503, attempts: 2 });
  });

  it('a 413 on flush sets the file aside as .rejected: kept, counted, never retried', async () => {
    const intake = await startIntake();
    intake.replyByDefault(503);
    const spoolDirectory = await tempDirectory();
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)], retries: 0, spoolDirectory });
    const receipt = await storage.store(newItem('msgpack', true));
    expect(receipt.deferred).toBe(true);
    const [file] = await spoolFiles(spoolDirectory);
    const bytes = await readFile(file!);

    intake.replyByDefault(413);
    expect(await storage.flushSpool()).toEqual({ sent: 0, failed: 0, setAside: 1, skipped: 0 });
    expect(await readdir(spoolDirectory)).toEqual([`${basename(file!)}.rejected`]);
    expect((await readFile(`${file}.rejected`)).equals(bytes)).toBe(true);
    const metrics = new RecordingMetrics();
    storage.sendTelemetry(metrics);
    expect(metrics.total(METRIC_NAMES.entityTooLarge, ['format:msgpack', 'compression:true'])).toBe(1);

    intake.replyByDefault(202);
    const seen = intake.uploads.length;
    expect(await storage.flushSpool()).toEqual({ sent: 0, failed: 0, setAside: 0, skipped: 0 });
    expect(intake.uploads).toHaveLength(seen);
  });

  it('a corrupt spool file is set aside as .corrupt; the good ones are still delivered', async () => {
    const intake = await startIntake();
    intake.replyByDefault(503);
    const spoolDirectory = await tempDirectory();
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)], retries: 0, spoolDirectory });
    await storage.store(newItem());
    await writeFile(join(spoolDirectory, '000000000000000-garbage.spool'), 'not a spooled upload');
    await writeFile(
      join(spoolDirectory, '000000000000001-badheader.spool'),
      'activity-dump-spool/1\n{oops\nbody',
    );
    await writeFile(
      join(spoolDirectory, '000000000000002-noheader.spool'),
      'activity-dump-spool/1\n{}\nbody',
    );
    intake.replyByDefault(202);
    const seen = intake.uploads.length;
    expect(await storage.flushSpool()).toEqual({ sent: 1, failed: 0, setAside: 3, skipped: 0 });
    expect(intake.uploads).toHaveLength(seen + 1);
    expect((await readdir(spoolDirectory)).sort()).toEqual([
      '000000000000000-garbage.spool.corrupt',
      '000000000000001-badheader.spool.corrupt',
      '000000000000002-noheader.spool.corrupt',
    ]);
  });

  it('a spooled upload for an endpoint no longer configured is skipped and kept', async () => {
    const [old, current] = [await startIntake(), await startIntake()];
    old.replyByDefault(503);
    const spoolDirectory = await tempDirectory();
    const first = remoteStorage({ endpoints: [endpoint(old.url)], retries: 0, spoolDirectory });
    await first.store(newItem());
    await first.shutdown();
    const second = remoteStorage({ endpoints: [endpoint(current.url)], spoolDirectory });
    expect(await second.flushSpool()).toEqual({ sent: 0, failed: 0, setAside: 0, skipped: 1 });
    expect(await spoolFiles(spoolDirectory)).toHaveLength(1);
    expect(current.uploads).toEqual([]);
  });

  it('start() flushes the spool (once), and concurrent flushes share one pass', async () => {
    const intake = await startIntake();
    intake.replyByDefault(503);
    const spoolDirectory = await tempDirectory();
    const first = remoteStorage({ endpoints: [endpoint(intake.url)], retries: 0, spoolDirectory });
    await first.store(newItem('json', true));
    await first.store(newItem('protobuf', false));
    await first.shutdown();
    expect(await spoolFiles(spoolDirectory)).toHaveLength(2);
    const failed = intake.uploads.slice();

    intake.replyByDefault(202);
    const second = remoteStorage({ endpoints: [endpoint(intake.url)], spoolDirectory });
    const starting = second.start();
    expect(second.start()).toBe(starting);
    await starting;
    expect(intake.uploads).toHaveLength(4);
    expect(
      intake.uploads
        .slice(2)
        .map((u) => u.raw.toString('latin1'))
        .sort(),
    ).toEqual(failed.map((u) => u.raw.toString('latin1')).sort());
    expect(await readdir(spoolDirectory)).toEqual([]);
    await second.start();
    expect(intake.uploads).toHaveLength(4);

    const a = second.flushSpool();
    expect(second.flushSpool()).toBe(a);
    expect(await a).toEqual({ sent: 0, failed: 0, setAside: 0, skipped: 0 });
  });

  it('a spool that cannot be written: the store rejects with the upload error, and says why in the log', async () => {
    const intake = await startIntake();
    intake.replyByDefault(503);
    const directory = await tempDirectory();
    const notADirectory = join(directory, 'a-file');
    await writeFile(notADirectory, 'in the way');
    const { logger, lines } = recordingLogger();
    const storage = remoteStorage({
      endpoints: [endpoint(intake.url)],
      retries: 0,
      spoolDirectory: join(notADirectory, 'spool'),
      logger,
    });
    const error = await rejectionOf(storage.store(newItem()));
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect(error).toMatchObject({ status: 503, attempts: 1 });
    expect(lines.filter((line) => line.level === 'error').map((line) => line.message)).toEqual([
      "couldn't spool a failed upload",
    ]);
    expect(lines.find((line) => line.level === 'warn')?.fields).toMatchObject({ spooled: false });
    expect(logText(lines)).not.toContain(API_KEY);
  });

  it('past maxSpoolBytes nothing is spooled and the store rejects', async () => {
    const intake = await startIntake();
    intake.replyByDefault(503);
    const spoolDirectory = await tempDirectory();
    const tiny = remoteStorage({
      endpoints: [endpoint(intake.url)],
      retries: 0,
      spoolDirectory,
      maxSpoolBytes: 100,
    });
    const error = await rejectionOf(tiny.store(newItem()));
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect(error).toMatchObject({ status: 503, attempts: 1 });
    expect(await readdir(spoolDirectory)).toEqual([]);

    // Room for one upload: the first is deferred, the second does not fit.
    const item = newItem('protobuf');
    const probe = remoteStorage({ endpoints: [endpoint(intake.url)], retries: 0, spoolDirectory });
    await probe.store(item);
    const [file] = await spoolFiles(spoolDirectory);
    const size = (await readFile(file!)).length;
    await rm(file!);
    const bounded = remoteStorage({
      endpoints: [endpoint(intake.url)],
      retries: 0,
      spoolDirectory,
      maxSpoolBytes: size + 10,
    });
    expect((await bounded.store(itemOf(item.dump))).deferred).toBe(true);
    await expect(bounded.store(itemOf(item.dump))).rejects.toBeInstanceOf(RemoteStorageError);
    expect(await spoolFiles(spoolDirectory)).toHaveLength(1);
  });

  // Two endpoints may share a URL and differ by key (dual shipping to two organisations): a spooled
  // copy remembers a fingerprint of its endpoint's key, never the key, and goes back to that one.
  it('spools what may succeed later (401, 5xx), not what would be refused again (400), and sets a refusal aside on flush', async () => {
    const intake = await startIntake();
    const spoolDirectory = await tempDirectory();
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)], retries: 0, spoolDirectory });
    intake.reply(400);
    await expect(storage.store(newItem())).rejects.toBeInstanceOf(RemoteStorageError);
    expect(await spoolFiles(spoolDirectory)).toHaveLength(0);
    intake.reply(401);
    expect((await storage.store(newItem())).deferred).toBe(true);
    expect(await spoolFiles(spoolDirectory)).toHaveLength(1);
    intake.reply(400);
    expect(await storage.flushSpool()).toMatchObject({ sent: 0, setAside: 1 });
    expect(await spoolFiles(spoolDirectory)).toHaveLength(0);
  });

  it('a spooled copy is re-sent with the key of the endpoint it failed for, even at a shared URL', async () => {
    const intake = await startIntake();
    intake.respondWith((upload) => (upload.headers['dd-api-key'] === 'key-b' ? 503 : 202));
    const spoolDirectory = await tempDirectory();
    const storage = remoteStorage({
      endpoints: [endpoint(intake.url, 'key-a'), endpoint(intake.url, 'key-b')],
      retries: 0,
      spoolDirectory,
    });
    await storage.store(newItem());
    expect(await spoolFiles(spoolDirectory)).toHaveLength(1);
    intake.respondWith(undefined);
    expect(await storage.flushSpool()).toMatchObject({ sent: 1 });
    expect(intake.uploads.at(-1)!.headers['dd-api-key']).toBe('key-b');
  });
});

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

describe('RemoteStorage: concurrency', () => {
  it('keeps at most `concurrency` requests in flight', async () => {
    const intake = await startIntake();
    const gates = Array.from({ length: 5 }, deferred);
    intake.reply(...gates.map((gate) => ({ status: 202, until: gate.promise })));
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)], concurrency: 2 });
    const stores = Array.from({ length: 5 }, () => storage.store(newItem()));

    await intake.waitForUploads(2);
    await settle();
    expect(intake.uploads).toHaveLength(2);
    expect(intake.active).toBe(2);
    for (let released = 1; released <= 3; released++) {
      gates[released - 1]!.resolve();
      await intake.waitForUploads(2 + released);
      await settle();
      expect(intake.uploads).toHaveLength(2 + released);
      expect(intake.active).toBe(2);
    }
    for (const gate of gates) gate.resolve();
    await Promise.all(stores);
    expect(intake.uploads).toHaveLength(5);
    expect(intake.maxActive).toBe(2);
  });

  it('the bound is shared by the endpoints and by retries', async () => {
    const [a, b] = [await startIntake(), await startIntake()];
    let failures = 2;
    let mostAtOnce = 0;
    for (const intake of [a, b]) {
      intake.respondWith(() => {
        mostAtOnce = Math.max(mostAtOnce, a.active + b.active);
        const status = intake === a && failures-- > 0 ? 503 : 202;
        return { status, until: settle(5) };
      });
    }
    const storage = remoteStorage({ endpoints: [endpoint(a.url), endpoint(b.url)], concurrency: 1 });
    await Promise.all(Array.from({ length: 3 }, () => storage.store(newItem())));
    expect(a.uploads).toHaveLength(5); // 3 dumps, 2 retries
    expect(b.uploads).toHaveLength(3);
    expect(mostAtOnce).toBe(1);
    expect(a.maxActive).toBe(1);
    expect(b.maxActive).toBe(1);
  });

  it('without a tight bound, the same server does see the requests at once (the check above is real)', async () => {
    const intake = await startIntake();
    const gates = Array.from({ length: 5 }, deferred);
    intake.reply(...gates.map((gate) => ({ status: 202, until: gate.promise })));
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)], concurrency: 5 });
    const stores = Array.from({ length: 5 }, () => storage.store(newItem()));
    await intake.waitForUploads(5);
    expect(intake.active).toBe(5);
    for (const gate of gates) gate.resolve();
    await Promise.all(stores);
    expect(intake.maxActive).toBe(5);
  });
});

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

describe('RemoteStorage: API keys never leak', () => {
  it('not in errors, error properties, log lines, spool files, receipts or outcomes', async () => {
    const { logger, lines } = recordingLogger();
    const spoolDirectory = await tempDirectory();
    const seen: unknown[] = [];
    const keep = async (promise: Promise<unknown>) => {
      try {
        seen.push(await promise);
      } catch (error) {
        seen.push(error);
      }
    };
    const intakes = await Promise.all(Array.from({ length: 6 }, startIntake));
    const [unavailable, tooLarge, hanging, resetting, ok200, forbidden] = intakes as [
      IntakeServer,
      IntakeServer,
      IntakeServer,
      IntakeServer,
      IntakeServer,
      IntakeServer,
    ];
    unavailable.replyByDefault(503);
    tooLarge.replyByDefault(413);
    hanging.replyByDefault('hang');
    resetting.replyByDefault('reset');
    ok200.replyByDefault(200);
    forbidden.replyByDefault(403);
    const refused = await closedPortUrl();
    const urls = [...intakes.map((i) => i.url), refused];

    // One endpoint at a time, without and with a spool, and all of them at once.
    for (const url of urls) {
      const bare = remoteStorage({ endpoints: [endpoint(url)], retries: 1, timeout: 30, logger });
      await keep(bare.store(newItem('json', true)));
      seen.push(bare.endpoints);
      const spooling = remoteStorage({
        endpoints: [endpoint(url)],
        retries: 0,
        timeout: 30,
        logger,
        spoolDirectory,
      });
      await keep(spooling.store(newItem('protobuf')));
      await keep(spooling.flushSpool());
    }
    const broken = join(spoolDirectory, 'not-a-directory');
    await writeFile(broken, '');
    const unspoolable = remoteStorage({
      endpoints: [endpoint(unavailable.url)],
      retries: 0,
      logger,
      spoolDirectory: broken,
    });
    await keep(unspoolable.store(newItem()));
    expect(lines.some((line) => line.message === "couldn't spool a failed upload")).toBe(true);
    const all = remoteStorage({
      endpoints: urls.map((url) => endpoint(url)),
      retries: 0,
      timeout: 30,
      logger,
      spoolDirectory,
    });
    await keep(all.store(newItem('msgpack')));
    // And through a manager, which logs the errors it gets.
    const manager = new StorageManager({ backends: [all], logger, metrics: new RecordingMetrics() });
    manager.on('persist:failed', (_dump, outcome) => seen.push(outcome));
    seen.push(await manager.persist(conformanceDump([remoteRequest('json'), remoteRequest('dot', true)])));
    await keep(all.flushSpool());
    await all.shutdown();
    await keep(all.store(newItem()));

    // The key was really sent: the test is not vacuous.
    expect(unavailable.uploads[0]!.headers['dd-api-key']).toBe(API_KEY);
    expect(seen.some((value) => value instanceof PayloadTooLargeError)).toBe(true);
    expect(seen.some((value) => value instanceof RemoteStorageError && value.status === undefined)).toBe(
      true,
    );
    expect(lines.some((line) => line.level === 'warn')).toBe(true);

    const spooled = await Promise.all(
      (await readdir(spoolDirectory)).map((name) => readFile(join(spoolDirectory, name), 'latin1')),
    );
    expect(spooled.length).toBeGreaterThan(0);
    const haystack = [reveal(seen), JSON.stringify(seen, errorReplacer), logText(lines), ...spooled].join(
      '\n',
    );
    expect(haystack).toContain('no response within 30 ms'); // errors did get serialised
    expect(haystack).not.toContain(API_KEY);
    expect(haystack).not.toContain('6b1f0c9e2a7d4e58');
  });

  it('an endpoint URL with user:password@ or ?api_key= is redacted in errors, logs, receipts and spool files', async () => {
    const intake = await startIntake();
    intake.replyByDefault(503);
    const { logger, lines } = recordingLogger();
    const spoolDirectory = await tempDirectory();
    const host = intake.url.slice('http://'.length);
    const url = `http://alice:PASSWORD-c4f1@${host}/prefix/?api_key=QUERY-KEY-99e0&site=eu`;
    const storage = remoteStorage({ endpoints: [endpoint(url)], logger, spoolDirectory, retries: 0 });
    const shown = `http://${host}/prefix${SECDUMP}?api_key=redacted&site=redacted`;
    expect(storage.endpoints).toEqual([shown]);

    const receipt = await storage.store(newItem());
    expect(receipt.deferred).toBe(true);
    // The query is the caller's: it is sent as given.
    expect(intake.uploads[0]!.path).toBe(`/prefix${SECDUMP}?api_key=QUERY-KEY-99e0&site=eu`);
    const [file] = await spoolFiles(spoolDirectory);
    expect((await spoolHeader(file!)).url).toBe(shown);

    const noSpool = remoteStorage({ endpoints: [endpoint(url)], logger, retries: 0 });
    const error = await rejectionOf(noSpool.store(newItem()));
    expect(error).toMatchObject({ endpoint: shown, status: 503 });
    expect(error.message).toContain(shown);

    const ok = await startIntake();
    const good = remoteStorage({
      endpoints: [endpoint(`http://alice:PASSWORD-c4f1@${ok.url.slice(7)}?api_key=QUERY-KEY-99e0`)],
    });
    const item = newItem();
    const delivered = await good.store(item);
    expect(delivered.location).toBe(`${ok.url}${SECDUMP}?api_key=redacted#${item.dump.name}.json`);

    const haystack = [
      reveal([receipt, error, delivered, storage.endpoints]),
      JSON.stringify(error, errorReplacer),
      logText(lines),
      await readFile(file!, 'latin1'),
    ].join('\n');
    for (const secret of ['PASSWORD-c4f1', 'QUERY-KEY-99e0', 'alice', API_KEY]) {
      expect(haystack).not.toContain(secret);
    }
  });

  it.each([
    'ftp://alice:PASSWORD-c4f1@example.com/',
    'http://alice:PASSWORD-c4f1@exa mple.com/',
    'http://alice:PASSWORD-c4f1@[::1/',
    'gopher://example.com/?api_key=PASSWORD-c4f1',
  ])('a bad endpoint URL is refused without showing its credentials: %s', (url) => {
    const error = (() => {
      try {
        new RemoteStorage({ endpoints: [endpoint(url)] });
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected the constructor to throw');
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(reveal(error)).not.toContain('PASSWORD-c4f1');
    expect(reveal(error)).not.toContain(API_KEY);
  });
});

// ---------------------------------------------------------------------------------------------
// Construction and lifecycle
// ---------------------------------------------------------------------------------------------

describe('RemoteStorage: construction and lifecycle', () => {
  const url = 'https://cws-intake.datadoghq.com';
  it.each<[string, unknown]>([
    ['no options', undefined],
    ['no endpoints', {}],
    ['an empty endpoint list', { endpoints: [] }],
    ['endpoints that are not a list', { endpoints: endpoint(url) }],
    ['a bad URL', { endpoints: [endpoint('not a url')] }],
    ['an ftp:// URL', { endpoints: [endpoint('ftp://cws-intake.datadoghq.com')] }],
    ['an API key that is not a string', { endpoints: [{ url, apiKey: 42 }] }],
    ['a negative timeout', { endpoints: [endpoint(url)], timeout: -1 }],
    ['a zero timeout', { endpoints: [endpoint(url)], timeout: 0 }],
    ['a NaN timeout', { endpoints: [endpoint(url)], timeout: Number.NaN }],
    ['negative retries', { endpoints: [endpoint(url)], retries: -1 }],
    ['fractional retries', { endpoints: [endpoint(url)], retries: 1.5 }],
    ['a zero minRetryDelay', { endpoints: [endpoint(url)], minRetryDelay: 0 }],
    ['an infinite maxRetryDelay', { endpoints: [endpoint(url)], maxRetryDelay: Number.POSITIVE_INFINITY }],
    ['a negative concurrency', { endpoints: [endpoint(url)], concurrency: -2 }],
    ['no concurrency', { endpoints: [endpoint(url)], concurrency: 0 }],
    ['a negative maxSpoolBytes', { endpoints: [endpoint(url)], spoolDirectory: '/tmp/x', maxSpoolBytes: -1 }],
  ])('refuses %s with an InvalidArgumentError', (_what, options) => {
    expect(() => new RemoteStorage(options as RemoteStorageOptions)).toThrow(InvalidArgumentError);
  });

  it('accepts http and https endpoints and shows their upload URLs', () => {
    const storage = new RemoteStorage({
      endpoints: [endpoint('https://cws-intake.datadoghq.com'), endpoint('http://[::1]:8080/x/')],
    });
    expect(storage.type).toBe('remote_storage');
    expect(storage.endpoints).toEqual([
      `https://cws-intake.datadoghq.com${SECDUMP}`,
      `http://[::1]:8080/x${SECDUMP}`,
    ]);
    return storage.shutdown();
  });

  it('shuts down idempotently; a store afterwards is a StorageClosedError and sends nothing', async () => {
    const intake = await startIntake();
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)] });
    await storage.store(newItem());
    const first = storage.shutdown();
    expect(storage.shutdown()).toBe(first);
    await first;
    await storage.shutdown();
    const error = await rejectionOf(storage.store(newItem()));
    expect(error).toBeInstanceOf(StorageClosedError);
    expect(error).toMatchObject({ code: 'AD_ERR_STORAGE_CLOSED' });
    expect(intake.uploads).toHaveLength(1);
  });

  it('shutdown waits for an upload in flight', async () => {
    const intake = await startIntake();
    const gate = deferred();
    intake.reply({ status: 202, until: gate.promise });
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)] });
    const storing = storage.store(newItem());
    await intake.waitForUploads(1);
    let closed = false;
    const closing = storage.shutdown().then(() => {
      closed = true;
    });
    await settle();
    expect(closed).toBe(false);
    gate.resolve();
    expect((await storing).deferred).toBeUndefined();
    await closing;
    expect(closed).toBe(true);
  });

  it('shutdown cuts a retry delay short: the failed upload is spooled', async () => {
    const intake = await startIntake();
    intake.replyByDefault(503);
    const spoolDirectory = await tempDirectory();
    const rec = recordingClock();
    // A 30 s retry delay that the test never waits for.
    const storage = remoteStorage({
      endpoints: [endpoint(intake.url)],
      clock: rec.clock,
      minRetryDelay: 40_000,
      maxRetryDelay: 60_000,
      spoolDirectory,
    });
    const storing = storage.store(newItem());
    await rec.waitFor((ms) => ms === 30_000);
    await storage.shutdown();
    const receipt = await storing;
    expect(receipt.deferred).toBe(true);
    expect(intake.uploads).toHaveLength(1);
    expect(await spoolFiles(spoolDirectory)).toEqual(receipt.location.split(' '));
  });

  it('shutdown cuts a retry delay short: without a spool the store rejects', async () => {
    const intake = await startIntake();
    intake.replyByDefault(503);
    const rec = recordingClock();
    const storage = remoteStorage({
      endpoints: [endpoint(intake.url)],
      clock: rec.clock,
      minRetryDelay: 40_000,
      maxRetryDelay: 60_000,
    });
    const storing = rejectionOf(storage.store(newItem()));
    await rec.waitFor((ms) => ms === 30_000);
    await storage.shutdown();
    const error = await storing;
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect(error).toMatchObject({ status: 503, attempts: 1 });
  });

  it('closes only a dispatcher of its own', async () => {
    const intake = await startIntake();
    const agent = new Agent();
    cleanups.push(() => agent.close());
    const storage = remoteStorage({ endpoints: [endpoint(intake.url)], dispatcher: agent });
    await storage.store(newItem());
    await storage.shutdown();
    const response = await undiciRequest(`${intake.url}/health`, { dispatcher: agent });
    await response.body.dump();
    expect(response.statusCode).toBe(202);
  });
});

// ---------------------------------------------------------------------------------------------
// Through a StorageManager
// ---------------------------------------------------------------------------------------------

describe('RemoteStorage through a StorageManager', () => {
  it('one outcome per request, with size_in_bytes and persisted_dumps for the delivered ones', async () => {
    const intake = await startIntake();
    intake.respondWith((upload) => (upload.event?.serialization === 'msgpack' ? 400 : undefined));
    const metrics = new RecordingMetrics();
    const remote = remoteStorage({ endpoints: [endpoint(intake.url)] });
    const manager = new StorageManager({ backends: [remote], metrics });
    cleanups.push(() => manager.shutdown());
    const failed: PersistOutcome[] = [];
    manager.on('persist:failed', (_dump, outcome) => failed.push(outcome));
    const dump = conformanceDump([
      remoteRequest('json', true),
      remoteRequest('protobuf'),
      remoteRequest('msgpack'),
    ]);

    const outcomes = await manager.persist(dump);
    expect(outcomes.map((o) => [o.request.format, o.ok])).toEqual([
      ['json', true],
      ['protobuf', true],
      ['msgpack', false],
    ]);
    const bySerialization = (format: string) =>
      intake.uploads.find((u) => u.event?.serialization === format)!;
    for (const [format, compression, ext] of [
      ['json', true, 'json.gz'],
      ['protobuf', false, 'protobuf'],
    ] as const) {
      const outcome = outcomes.find((o) => o.request.format === format)!;
      const upload = bySerialization(format);
      expect(outcome).toMatchObject({
        ok: true,
        size: upload.raw.length,
        location: `${intake.url}${SECDUMP}#${dump.name}.${ext}`,
      });
      expect(outcome).not.toHaveProperty('deferred');
      const tags = [`format:${format}`, 'storage_type:remote_storage', `compression:${compression}`];
      expect(metrics.total(METRIC_NAMES.sizeInBytes, tags)).toBe(upload.raw.length);
      expect(metrics.total(METRIC_NAMES.persistedDumps, tags)).toBe(1);
    }
    const msgpack = outcomes[2]!;
    expect(msgpack.ok).toBe(false);
    if (!msgpack.ok) {
      expect(msgpack.error).toBeInstanceOf(RemoteStorageError);
      expect(msgpack.error).toMatchObject({ status: 400 });
    }
    expect(failed).toEqual([msgpack]);
    expect(metrics.total(METRIC_NAMES.persistedDumps, ['format:msgpack'])).toBe(0);
    expect(metrics.total(METRIC_NAMES.sizeInBytes, ['format:msgpack'])).toBe(0);
    const sizeRecord = metrics.records.find((r) => r.name === METRIC_NAMES.sizeInBytes);
    expect(sizeRecord?.tags).toEqual(['format:json', 'storage_type:remote_storage', 'compression:true']);
  });

  it('a spooled upload is a deferred success; the manager start flushes, and telemetry reports 413s', async () => {
    const intake = await startIntake();
    intake.replyByDefault(503);
    const spoolDirectory = await tempDirectory();
    const metrics = new RecordingMetrics();
    const remote = remoteStorage({ endpoints: [endpoint(intake.url)], retries: 0, spoolDirectory });
    const manager = new StorageManager({ backends: [remote], metrics });
    cleanups.push(() => manager.shutdown());
    const [outcome] = await manager.persist(conformanceDump([remoteRequest('json')]));
    expect(outcome).toMatchObject({ ok: true, deferred: true });
    expect(metrics.total(METRIC_NAMES.persistedDumps, ['storage_type:remote_storage'])).toBe(1);
    await manager.shutdown();

    intake.replyByDefault(413);
    const later = remoteStorage({ endpoints: [endpoint(intake.url)], spoolDirectory });
    const next = new StorageManager({ backends: [later], metrics });
    cleanups.push(() => next.shutdown());
    await next.start();
    expect(await spoolFiles(spoolDirectory, '.rejected')).toHaveLength(1);
    next.sendTelemetry();
    expect(metrics.total(METRIC_NAMES.entityTooLarge, ['format:json', 'compression:false'])).toBe(1);
  });
});
