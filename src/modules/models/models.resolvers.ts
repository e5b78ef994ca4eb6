import { inSlicesForCompletion } from '../common/cooperative.ts';
import type { Resolvers } from '../../generated/graphql.ts';
import { localIdOf, toGlobalId } from '../../graphql/global-id.ts';
import { notFoundError } from '../../graphql/errors.ts';
import { listPageSize } from '../../graphql/pagination.ts';

interface StoredProgress {
  stage?: string;
  epoch?: number;
  epochs?: number;
  loss?: number;
  validationLoss?: number;
  validationAccuracy?: number;
  fraction?: number;
  updatedAt?: string;
}

export const modelsResolvers: Resolvers = {
  Query: {
    models: (_parent, { first, ...filter }, { services }, info) =>
      services.models.registry.listModels({ ...filter, first: listPageSize(first, services.limits.maxPageSize, info) }),
    model: (_parent, { id }, { loaders }) => loaders.modelVersionById.load(localIdOf('ModelVersion', id)),
    trainingJob: (_parent, { id }, { loaders }) => loaders.trainingJobById.load(localIdOf('TrainingJob', id)),
    trainingJobs: (_parent, args, { services }, info) =>
      services.models.registry.listJobs({ kind: args.kind, task: args.task, first: listPageSize(args.first, services.limits.maxPageSize, info) }),
    classify: (_parent, { task, texts }, { services }) => services.models.classification.classify(task, texts),
  },
  Mutation: {
    trainModel: (_parent, args, { services, viewer }) =>
      services.models.training.requestTraining(
        {
          kind: args.kind,
          task: args.task,
          hyperparameters: args.hyperparameters,
          activation: args.activation,
        },
        { keyId: viewer.keyId },
      ),
    reclassifyFeedback: (_parent, { task }, { services }) => services.models.classification.requestReclassification(task, services.models.queue()),
    activateModel: async (_parent, { id }, { services }) => {
      const localId = localIdOf('ModelVersion', id);
      const version = await services.models.registry.getModel(localId);
      if (!version) throw notFoundError('ModelVersion', id);
      return services.models.registry.activate(localId);
    },
  },
  ClassificationBatch: {
    // Up to 1,000 results of up to 50 scores each: completed 50 results per turn of the event loop.
    results: (batch) => inSlicesForCompletion(batch.results, 50),
  },
  ModelVersion: {
    id: (version) => toGlobalId('ModelVersion', version.id),
    hyperparameters: (version) => version.hyperparameters as Record<string, unknown>,
    metrics: (version) => version.metrics as Record<string, unknown>,
    dataStats: (version) => version.dataStats as Record<string, unknown>,
    artifactBytes: (version, _args, { loaders }) => loaders.artifactBytesById.load(version.id),
    trainingJob: (version, _args, { loaders }) => (version.trainingJobId ? loaders.trainingJobById.load(version.trainingJobId) : null),
  },
  TrainingJob: {
    id: (job) => toGlobalId('TrainingJob', job.id),
    hyperparameters: (job) => job.hyperparameters as Record<string, unknown>,
    progress: (job) => {
      const progress = (job.progress ?? {}) as StoredProgress;
      return {
        stage: progress.stage ?? job.status.toLowerCase(),
        epoch: progress.epoch ?? null,
        epochs: progress.epochs ?? null,
        loss: progress.loss ?? null,
        validationLoss: progress.validationLoss ?? null,
        validationAccuracy: progress.validationAccuracy ?? null,
        fraction: progress.fraction ?? (job.status === 'SUCCEEDED' ? 1 : 0),
        updatedAt: progress.updatedAt ? new Date(progress.updatedAt) : null,
      };
    },
    modelVersion: (job, _args, { loaders }) => loaders.modelVersionByJobId.load(job.id),
  },
};
