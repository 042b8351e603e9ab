import { mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Bench } from 'tinybench';
import { request } from 'undici';
import { ActivityDump } from '../src/dump/activity-dump.js';
import { emptyMetadata } from '../src/dump/dump-metadata.js';
import { gzip } from '../src/encoding/compression.js';
import { LocalStorage } from '../src/storage/local-storage.js';
import { multipartBody, randomBoundary } from '../src/storage/multipart.js';
import { createPersistItems } from '../src/storage/persist-item.js';
import { RemoteStorage } from '../src/storage/remote-storage.js';
import type { PersistItem } from '../src/storage/storage-backend.js';
import type { StorageRequest } from '../src/storage/storage-request.js';
import { createProcesses, createRng, flat } from './workload.js';

const ITERATIONS = 200;
// About 4,000 file nodes: a dump of some 150 KB in msgpack, a typical persisted size.
const FILES = 4000;

function sampleDump(requests: StorageRequest[]): ActivityDump {
  const dump = new ActivityDump({
    host: 'bench-host',
    source: 'runtime-security-agent',
    tags: ['image_name:bench', 'image_tag:1'],
    metadata: emptyMetadata({ name: 'activity-dump-benchstore', protobufVersion: 'v1' }),
    storageRequests: requests,
  });
  const processes = createProcesses(20, createRng(9));
  for (let i = 0; i < FILES; i++) {
    const path = flat(`/srv/app/d${i % 40}/f-${i}.dat`);
    dump.tree.insert({ type: 'open', process: processes[i % processes.length]!, file: { path } });
  }
  return dump;
}

/** The item of the dump's first request, encoded once (both sides start from encoded bytes). */
function encodedItem(dump: ActivityDump): PersistItem {
  const item = createPersistItems(dump)[0]!;
  if ('failure' in item) throw new Error('the bench dump did not encode');
  return item;
}

/** A copy whose payload is gzipped afresh, so the library side pays for its gzip as the baseline does. */
function freshPayload(item: PersistItem): PersistItem {
  const { dump, request, encoded } = item;
  return {
    dump,
    request,
    encoded,
    get payload() {
      return request.compression ? gzip(encoded) : encoded;
    },
  };
}

function meanMs(bench: Bench, name: string): number {
  const task = bench.tasks.find((t) => t.name === name)!;
  return (task.result as { latency: { mean: number } }).latency.mean;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * Mean ms per call of each task. Runs them twice, in opposite orders, and averages, so that
 * neither side gains from running second on a warmer disk, connection or JIT.
 */
async function measure(tasks: Record<string, () => Promise<void>>): Promise<Record<string, number>> {
  const names = Object.keys(tasks);
  const totals: Record<string, number> = {};
  for (const order of [names, [...names].reverse()]) {
    const bench = new Bench({ iterations: ITERATIONS / 2, time: 0, warmupIterations: 10 });
    for (const name of order) bench.add(name, tasks[name]!);
    await bench.run();
    for (const name of names) totals[name] = (totals[name] ?? 0) + meanMs(bench, name) / 2;
  }
  return totals;
}

function compare(ours: number, base: number, bytes: number): Record<string, number> {
  return {
    bytes,
    msPerDump: round(ours),
    baselineMsPerDump: round(base),
    dumpsPerSec: Math.round(1000 / ours),
    MBPerSec: round(bytes / 1e6 / (ours / 1000)),
    ratioVsBaseline: round(ours / base),
  };
}

/**
 * LocalStorage (gzip, temporary file, fsync, rename, directory fsync) beside a plain
 * `zlib.gzipSync` + `fs.writeFile` of the same bytes; the gap is the price of durability.
 */
async function localPersist(): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'ad-bench-local-'));
  try {
    const request: StorageRequest = {
      type: 'local_storage',
      format: 'msgpack',
      compression: true,
      outputDirectory: '',
    };
    const item = encodedItem(sampleDump([request]));
    const encoded = item.encoded;
    const storage = new LocalStorage({ directory: join(dir, 'ours'), maxDumpsCount: 10 });
    await storage.start();
    const baselinePath = join(dir, 'baseline.msgpack.gz');
    const durablePath = join(dir, 'durable.msgpack.gz');
    const ms = await measure({
      ours: async () => {
        await storage.store(freshPayload(item));
      },
      baseline: async () => {
        await writeFile(baselinePath, gzipSync(encoded));
      },
      // The same durability by hand: what the library adds beyond it is the rest of the gap.
      durable: async () => {
        const handle = await open(`${durablePath}.tmp`, 'w');
        await handle.writeFile(gzipSync(encoded));
        await handle.sync();
        await handle.close();
        await rename(`${durablePath}.tmp`, durablePath);
      },
    });
    await storage.shutdown();
    return {
      ...compare(ms.ours!, ms.baseline!, gzipSync(encoded).length),
      durableBaselineMsPerDump: round(ms.durable!),
      ratioVsDurableBaseline: round(ms.ours! / ms.durable!),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A loopback intake that reads each body and answers 202. */
async function startIntake(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => res.writeHead(202).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * RemoteStorage (multipart body, gzip, undici request, status check) beside a plain undici
 * request of an equal body to the same server: without compression, then with it (the baseline
 * gzipping the body too).
 */
async function remoteUpload(compression: boolean): Promise<Record<string, number>> {
  const intake = await startIntake();
  try {
    const request_: StorageRequest = {
      type: 'remote_storage',
      format: 'protobuf',
      compression,
      outputDirectory: '',
    };
    const item = encodedItem(sampleDump([request_]));
    const encoded = item.encoded;
    const storage = new RemoteStorage({ endpoints: [{ url: intake.url, apiKey: 'bench-key' }] });
    const boundary = randomBoundary();
    const multipart = multipartBody(
      [
        { name: 'event', filename: '', contentType: 'application/json', body: Buffer.from('{}') },
        { name: 'dump', filename: 'dump.protobuf', contentType: 'application/json', body: encoded },
      ],
      boundary,
    );
    const headers: Record<string, string> = {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'dd-api-key': 'bench-key',
    };
    if (compression) headers['content-encoding'] = 'gzip';
    const target = `${intake.url}/api/v2/secdump`;
    const ms = await measure({
      ours: async () => {
        await storage.store(item);
      },
      baseline: async () => {
        const body = compression ? gzipSync(multipart) : multipart;
        const response = await request(target, { method: 'POST', headers, body });
        await response.body.dump();
        if (response.statusCode !== 202) throw new Error(`intake answered ${response.statusCode}`);
      },
    });
    await storage.shutdown();
    return compare(ms.ours!, ms.baseline!, compression ? gzipSync(multipart).length : multipart.length);
  } finally {
    await intake.close();
  }
}

/** Local persist and remote upload throughput, each beside its plain-Node baseline. */
export async function runStorageBench(): Promise<Record<string, unknown>> {
  return {
    localPersist: await localPersist(),
    remoteUpload: await remoteUpload(false),
    remoteUploadCompressed: await remoteUpload(true),
  };
}
