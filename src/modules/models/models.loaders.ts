import DataLoader from 'dataloader';
import type { Db } from '../../db/prisma.ts';
import type { TrainingJob } from '../../generated/prisma/client.ts';
import type { ModelVersion } from './registry.service.ts';
import { byKey } from '../common/loaders.ts';

export function createModelLoaders(db: Db) {
  return {
    modelVersionById: new DataLoader<string, ModelVersion | null>(async (ids) =>
      byKey(ids, await db.modelVersion.findMany({ where: { id: { in: [...ids] } }, omit: { artifact: true } }), (v) => v.id),
    ),
    modelVersionByJobId: new DataLoader<string, ModelVersion | null>(async (ids) =>
      byKey(ids, await db.modelVersion.findMany({ where: { trainingJobId: { in: [...ids] } }, omit: { artifact: true } }), (v) => v.trainingJobId!),
    ),
    trainingJobById: new DataLoader<string, TrainingJob | null>(async (ids) => byKey(ids, await db.trainingJob.findMany({ where: { id: { in: [...ids] } } }), (job) => job.id)),
    artifactBytesById: new DataLoader<string, number>(async (ids) => {
      const rows = await db.$queryRaw<{ id: string; bytes: number | null }[]>`
        SELECT id::text, octet_length(artifact)::int AS bytes FROM model_versions WHERE id = ANY(${[...ids]}::uuid[])`;
      return byKey(ids, rows, (row) => row.id).map((row) => row?.bytes ?? 0);
    }),
  };
}
export type ModelLoaders = ReturnType<typeof createModelLoaders>;
