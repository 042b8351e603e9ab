import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { RemoteStorage } from '../../src/storage/remote-storage.js';
import { storageConformanceCases } from '../../src/testing/storage-conformance.js';
import { IntakeServer } from '../support/intake-server.js';

describe('storage conformance: MemoryStorage', () => {
  for (const c of storageConformanceCases(() => {
    const backend = new MemoryStorage();
    return {
      backend,
      read: async (location) => backend.stored.findLast((entry) => entry.location === location)?.bytes,
    };
  })) {
    it(c.name, c.run);
  }
});

describe('storage conformance: LocalStorage on a real directory', () => {
  for (const c of storageConformanceCases(async () => {
    const directory = await mkdtemp(join(tmpdir(), 'ad-conformance-'));
    return {
      backend: new LocalStorage({ directory }),
      read: (location) => readFile(location).catch(() => undefined),
      cleanup: () => rm(directory, { recursive: true, force: true }),
    };
  })) {
    it(c.name, c.run);
  }
});

describe('storage conformance: RemoteStorage against a loopback intake', () => {
  for (const c of storageConformanceCases(async () => {
    const intake = await IntakeServer.start();
    return {
      backend: new RemoteStorage({ endpoints: [{ url: intake.url, apiKey: 'conformance-key' }] }),
      // The intake keeps the dump part; the location is the endpoint, so find the upload by dump.
      read: async (_location, item) =>
        intake.uploads.findLast(
          (u) => u.event?.name === item.dump.name && u.event?.serialization === item.request.format,
        )?.dump?.body,
      cleanup: () => intake.close(),
    };
  })) {
    it(c.name, c.run);
  }
});
