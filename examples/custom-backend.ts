/**
 * A storage backend of your own: dumps stored in an S3-compatible bucket through your own
 * client, checked against the library's conformance suite, then used by the manager.
 *
 *   npx tsx examples/custom-backend.ts
 *
 * The "bucket" is a tiny S3-like HTTP server on 127.0.0.1 (PUT and GET of objects), so the
 * example needs no account; point the client at a real endpoint and the backend is unchanged.
 */
// Applications import from 'activity-dump' and 'activity-dump/testing'. The examples import the
// sources instead: the package's own name resolves to its build (dist/), absent from a fresh clone.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import {
  ActivityDumpManager,
  dumpFileName,
  type PersistItem,
  type PersistReceipt,
  type StorageBackend,
  StorageError,
  StorageManager,
} from '../src/index.js';
import { buildLineage, event, storageConformanceCases } from '../src/testing/index.js';

/** The part of an object-store client the backend needs (an AWS SDK or MinIO client has these). */
interface ObjectStoreClient {
  putObject(key: string, body: Uint8Array, metadata: Record<string, string>): Promise<void>;
  getObject(key: string): Promise<Uint8Array | undefined>;
}

/** A minimal client over HTTP PUT/GET, standing in for your SDK. */
function httpObjectStore(baseUrl: string, bucket: string): ObjectStoreClient {
  return {
    async putObject(key, body, metadata) {
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      for (const [name, value] of Object.entries(metadata)) headers[`x-amz-meta-${name}`] = value;
      const response = await request(`${baseUrl}/${bucket}/${key}`, { method: 'PUT', headers, body });
      await response.body.dump();
      // Only a 2xx means the object is stored: anything else must fail the store.
      if (response.statusCode < 200 || response.statusCode > 299) {
        throw new StorageError(`PUT ${bucket}/${key}: HTTP ${response.statusCode}`);
      }
    },
    async getObject(key) {
      const response = await request(`${baseUrl}/${bucket}/${key}`);
      if (response.statusCode === 404) {
        await response.body.dump();
        return undefined;
      }
      return new Uint8Array(await response.body.arrayBuffer());
    },
  };
}

/**
 * Dumps as objects `<prefix>/<image>/<dump file name>`. It serves `remote_storage` requests, so
 * the manager's `remoteStorage.formats` decide what goes to the bucket.
 */
class BucketStorage implements StorageBackend {
  readonly type = 'remote_storage' as const;
  private closed = false;

  constructor(
    private readonly client: ObjectStoreClient,
    private readonly prefix: string,
  ) {}

  async store(item: PersistItem): Promise<PersistReceipt> {
    if (this.closed) throw new StorageError('bucket storage is shut down');
    const { dump, request: req } = item;
    const image = dump.selector?.image ?? 'unknown-image';
    const key = `${this.prefix}/${encodeURIComponent(image)}/${dumpFileName(dump.name, req.format, req.compression)}`;
    const body = item.payload; // gzipped when the request asks for compression
    await this.client.putObject(key, body, { host: dump.host, tags: dump.tags.join(',') });
    return { location: key, size: body.length };
  }

  async shutdown(): Promise<void> {
    this.closed = true;
  }
}

/** An in-process S3-like server: objects in a Map, PUT stores, GET reads. */
async function startBucketServer() {
  const objects = new Map<string, Buffer>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const key = decodeURIComponent(req.url ?? '/').slice(1);
    if (req.method === 'PUT') {
      objects.set(key, Buffer.concat(chunks));
      res.writeHead(200).end();
    } else if (req.method === 'GET' && objects.has(key)) {
      res.writeHead(200).end(objects.get(key));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const bucketServer = await startBucketServer();
const client = httpObjectStore(bucketServer.url, 'security-dumps');

// 1. The conformance suite every backend must pass, run here without a test runner.
console.log('Conformance of BucketStorage:');
let failures = 0;
for (const check of storageConformanceCases(() => ({
  backend: new BucketStorage(client, 'conformance'),
  read: (location) => client.getObject(location),
}))) {
  try {
    await check.run();
    console.log(`  ok    ${check.name}`);
  } catch (error) {
    failures++;
    console.log(`  FAIL  ${check.name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

// 2. The manager, sending every dump to the bucket (no local copy).
const manager = new ActivityDumpManager({
  storage: new StorageManager({ backends: [new BucketStorage(client, 'prod')] }),
  tagsResolver: { resolve: () => ['image_name:checkout', 'image_tag:3.1'] },
  localStorage: { formats: [] },
  remoteStorage: { enabled: true, formats: ['protobuf', 'json'], compression: true },
});
const shop = buildLineage(['/bin/sh', '/usr/local/bin/checkout'], { containerId: 'c4e1' });
manager.handleEvent(event('exec', shop, {}));
manager.handleEvent(event('open', shop, { file: { path: '/etc/checkout/config.yaml' } }));
manager.handleEvent(event('dns', shop, { dns: { name: 'payments.internal', type: 1 } }));
manager.on('dump:persisted', (_, outcomes) => {
  for (const outcome of outcomes)
    if (outcome.ok) console.log(`  stored ${outcome.location} (${outcome.size} B)`);
});
console.log('\nThe manager with BucketStorage:');
await manager.close();

console.log(
  `\nObjects in the bucket: ${[...bucketServer.objects.keys()].filter((k) => k.startsWith('security-dumps/prod/')).length}`,
);
await bucketServer.close();
if (failures > 0) process.exitCode = 1;
