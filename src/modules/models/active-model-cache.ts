import type { ModelKind } from '../../generated/prisma/client.ts';
import type { ModelVersion } from './registry.service.ts';
import type { ModelRegistry } from './registry.service.ts';

interface Entry<T> {
  versionId: string | null;
  checkedAt: number;
  loaded: { version: ModelVersion; model: T } | null;
  pending?: Promise<void>;
}

/**
 * Keeps the active version of each task loaded in memory. The active id is re-read at most
 * every `recheckMs`, so a version activated by another process is served within that time,
 * without a restart and without touching the database on every request.
 */
export class ActiveModelCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly kind: ModelKind,
    private readonly load: (artifact: Uint8Array, version: ModelVersion) => Promise<T>,
    private readonly dispose: (model: T) => void = () => undefined,
    private readonly recheckMs = 1_000,
    /** A replaced model is disposed this much later, so requests still using it (sliced work) finish. */
    private readonly disposeDelayMs = 60_000,
  ) {
    // An activation in this process is served at once; other processes' within recheckMs.
    registry.onActivated((kind, task) => {
      const entry = this.entries.get(task);
      if (kind === this.kind && entry) entry.checkedAt = 0;
    });
  }

  async get(task: string): Promise<{ version: ModelVersion; model: T } | null> {
    let entry = this.entries.get(task);
    if (!entry) {
      entry = { versionId: null, checkedAt: 0, loaded: null };
      this.entries.set(task, entry);
    }
    if (Date.now() - entry.checkedAt >= this.recheckMs) {
      entry.pending ??= this.refresh(task, entry).finally(() => {
        entry!.pending = undefined;
      });
      await entry.pending;
    } else if (entry.pending && !entry.loaded) {
      // The first load is still running (the id check already finished): wait for it rather
      // than answering "nothing active". A switch between versions keeps serving the old one.
      await entry.pending;
    }
    return entry.loaded;
  }

  private async refresh(task: string, entry: Entry<T>): Promise<void> {
    const activeId = await this.registry.activeVersionId(this.kind, task);
    entry.checkedAt = Date.now();
    if (activeId === entry.versionId) return;
    if (!activeId) {
      if (entry.loaded) this.disposeLater(entry.loaded.model);
      entry.loaded = null;
      entry.versionId = null;
      return;
    }
    const version = await this.registry.getModel(activeId);
    if (!version) return;
    const model = await this.load(await this.registry.loadArtifact(activeId), version);
    const previous = entry.loaded;
    entry.loaded = { version, model };
    entry.versionId = activeId;
    if (previous) this.disposeLater(previous.model);
  }

  private disposeLater(model: T): void {
    setTimeout(() => this.dispose(model), this.disposeDelayMs).unref();
  }
}
