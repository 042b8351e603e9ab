import { ActivityDump } from '../dump/activity-dump.js';
import { emptyMetadata } from '../dump/dump-metadata.js';
import { decodeDump } from '../encoding/decode-dump.js';
import type { DumpFormat } from '../encoding/dump-format.js';
import { createPersistItems } from '../storage/persist-item.js';
import type { PersistItem, PersistReceipt, StorageBackend } from '../storage/storage-backend.js';
import type { StorageRequest } from '../storage/storage-request.js';
import { buildLineage, event } from './event-builders.js';
import { RecordingMetrics } from './recording-metrics.js';

/** A backend under test, and how to read back what it stored. */
export interface ConformanceSubject {
  readonly backend: StorageBackend;
  /**
   * The bytes stored for an item at `location` (gzipped or not, as stored), or `undefined`
   * when there is nothing there.
   */
  read(location: string, item: PersistItem): Promise<Uint8Array | undefined>;
  /** Releases what the subject holds (a temp directory, a server). */
  cleanup?(): Promise<void>;
}

/** One conformance check: run it in any test runner (`it(c.name, c.run)`). */
export interface ConformanceCase {
  readonly name: string;
  run(): Promise<void>;
}

class ConformanceFailure extends Error {
  override name = 'ConformanceFailure';
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceFailure(message);
}

let sequence = 0;

/** A small but real dump: a shell and a tool in a container, files and a DNS name. */
export function conformanceDump(requests: readonly StorageRequest[], name?: string): ActivityDump {
  sequence++;
  const dumpName = name ?? `activity-dump-conform${String(sequence).padStart(5, '0')}`;
  const dump = new ActivityDump({
    host: 'conformance-host',
    source: 'runtime-security-agent',
    tags: ['image_name:conformance', 'image_tag:1', `run:${sequence}`],
    metadata: emptyMetadata({
      name: dumpName,
      protobufVersion: 'v1',
      containerId: 'c0ffee',
      start: 1_700_000_000_000_000_000n,
      end: 1_700_000_060_000_000_000n,
    }),
    storageRequests: [...requests],
  });
  const tool = buildLineage(['/bin/sh', '/usr/bin/tool'], { containerId: 'c0ffee' });
  dump.tree.insert(event('exec', tool, {}));
  for (let i = 0; i < 20; i++)
    dump.tree.insert(event('open', tool, { file: { path: `/data/${sequence}/f${i}` } }));
  dump.tree.insert(event('dns', tool, { dns: { name: 'example.com', type: 1 } }));
  return dump;
}

function request(subject: ConformanceSubject, format: DumpFormat, compression: boolean): StorageRequest {
  return { type: subject.backend.type, format, compression, outputDirectory: '' };
}

function itemOf(dump: ActivityDump, index = 0): PersistItem {
  const item = createPersistItems(dump)[index];
  if (item === undefined || 'failure' in item)
    throw new ConformanceFailure('the conformance dump did not encode');
  return item;
}

async function expectStored(
  subject: ConformanceSubject,
  item: PersistItem,
  receipt: PersistReceipt,
): Promise<void> {
  check(
    typeof receipt?.location === 'string' && receipt.location !== '',
    'store must resolve with a location',
  );
  check(Number.isFinite(receipt.size) && receipt.size > 0, 'store must resolve with the size it wrote');
  const bytes = await subject.read(receipt.location, item);
  check(bytes !== undefined, `nothing readable at ${receipt.location} once store resolved`);
  const back = decodeDump(bytes, { format: item.request.format });
  check(
    back.metadata?.name === item.dump.name,
    `stored dump is named ${back.metadata?.name}, not ${item.dump.name}`,
  );
  check(back.tree.stats.processNodes === item.dump.tree.stats.processNodes, 'stored dump lost process nodes');
  check(back.tree.dnsNames.has('example.com'), 'stored dump lost its DNS names');
  check(back.tags.join(',') === item.dump.tags.join(','), 'stored dump lost its tags');
}

async function expectRejects(promise: Promise<unknown>, message: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    check(error instanceof Error, `${message}: rejected with a non-Error`);
    return;
  }
  throw new ConformanceFailure(message);
}

/**
 * The checks every {@link StorageBackend} must pass — the library's LocalStorage,
 * RemoteStorage and MemoryStorage do — with a fresh subject for each:
 *
 * ```ts
 * for (const c of storageConformanceCases(async () => ({ backend, read }))) it(c.name, c.run);
 * ```
 */
export function storageConformanceCases(
  create: () => ConformanceSubject | Promise<ConformanceSubject>,
): ConformanceCase[] {
  const withSubject = (
    name: string,
    body: (subject: ConformanceSubject) => Promise<void>,
  ): ConformanceCase => ({
    name,
    async run() {
      const subject = await create();
      try {
        await subject.backend.start?.();
        await body(subject);
      } finally {
        await subject.backend.shutdown?.();
        await subject.cleanup?.();
      }
    },
  });
  const cases: ConformanceCase[] = [
    withSubject('serves local_storage or remote_storage requests', async ({ backend }) => {
      check(
        backend.type === 'local_storage' || backend.type === 'remote_storage',
        `unknown type ${backend.type}`,
      );
    }),
  ];
  for (const format of ['json', 'protobuf', 'msgpack'] as const) {
    for (const compression of [false, true]) {
      cases.push(
        withSubject(
          `stores ${format}${compression ? ' compressed' : ''}, readable once store resolves`,
          async (s) => {
            const item = itemOf(conformanceDump([request(s, format, compression)]));
            await expectStored(s, item, await s.backend.store(item));
          },
        ),
      );
    }
  }
  cases.push(
    withSubject('stores several formats of one dump side by side', async (s) => {
      const dump = conformanceDump([request(s, 'json', false), request(s, 'protobuf', true)]);
      const items = [itemOf(dump, 0), itemOf(dump, 1)];
      const receipts = await Promise.all(items.map((item) => s.backend.store(item)));
      for (const [i, item] of items.entries()) await expectStored(s, item, receipts[i]!);
    }),
    withSubject('stores 20 dumps at once, each at its own location', async (s) => {
      const items = Array.from({ length: 20 }, () => itemOf(conformanceDump([request(s, 'msgpack', false)])));
      const receipts = await Promise.all(items.map((item) => s.backend.store(item)));
      check(
        new Set(receipts.map((r) => r.location)).size === 20,
        'two dumps were stored at the same location',
      );
      for (const [i, item] of items.entries()) await expectStored(s, item, receipts[i]!);
    }),
    withSubject('stores a dump again under the same name', async (s) => {
      const dump = conformanceDump([request(s, 'json', false)]);
      await s.backend.store(itemOf(dump));
      const item = itemOf(dump);
      await expectStored(s, item, await s.backend.store(item));
    }),
    withSubject('starts more than once without harm', async (s) => {
      await s.backend.start?.();
      const item = itemOf(conformanceDump([request(s, 'protobuf', false)]));
      await expectStored(s, item, await s.backend.store(item));
    }),
    withSubject('lets a store in flight finish before shutdown resolves', async (s) => {
      const item = itemOf(conformanceDump([request(s, 'json', true)]));
      const storing = s.backend.store(item);
      const shutdown = s.backend.shutdown?.();
      const receipt = await storing;
      await shutdown;
      await expectStored(s, item, receipt);
    }),
    withSubject('shuts down idempotently, then refuses to store', async (s) => {
      if (s.backend.shutdown === undefined) return;
      await s.backend.shutdown();
      await s.backend.shutdown();
      const item = itemOf(conformanceDump([request(s, 'json', false)]));
      await expectRejects(s.backend.store(item), 'store after shutdown must reject');
    }),
    withSubject('reports telemetry without throwing', async (s) => {
      const item = itemOf(conformanceDump([request(s, 'json', false)]));
      await s.backend.store(item);
      s.backend.sendTelemetry?.(new RecordingMetrics());
    }),
  );
  return cases;
}
