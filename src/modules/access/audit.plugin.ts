import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { GraphQLContext } from '../../app/context.ts';
import type { Logger } from '../../logger.ts';
import type { AuditRecord } from './audit.service.ts';

const BULK_COUNTS = ['created', 'updated', 'unchanged', 'failed'] as const;

/**
 * Writes one audit row per executed mutation root field (successful or not, FORBIDDEN included)
 * before the response is sent: key, role, root field, time, outcome and counts. Counts are the
 * BulkWriteResult figures for bulk writes, otherwise `affected` plus the target's ID; never
 * input values. A failure to write the audit rows is logged and does not fail the response.
 */
export function auditPlugin(logger: Logger): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      const entries: AuditRecord[] = [];
      return {
        async executionDidStart({ operation }) {
          if (operation?.operation !== 'mutation') return; // undefined: no operation matched (execution reports it)
          return {
            willResolveField({ info, contextValue }) {
              if (info.path.prev !== undefined) return;
              const { viewer, requestId } = contextValue;
              return (error, result) => {
                entries.push({
                  keyId: viewer.keyId,
                  keyName: viewer.keyName,
                  role: viewer.role,
                  operation: info.fieldName,
                  outcome: error ? 'ERROR' : 'OK',
                  errorCode: error ? errorCodeOf(error) : null,
                  counts: error ? {} : countsOf(result),
                  requestId,
                });
              };
            },
          };
        },
        async willSendResponse({ contextValue }) {
          if (entries.length === 0) return;
          try {
            await contextValue.services.audit.record(entries.splice(0));
          } catch (error) {
            logger.error({ err: error, requestId: contextValue.requestId }, 'writing the audit log failed');
          }
        },
      };
    },
  };
}

function errorCodeOf(error: Error): string {
  const code = error instanceof GraphQLError ? error.extensions?.code : undefined;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

function countsOf(result: unknown): Record<string, number | string> {
  if (result && typeof result === 'object') {
    const row = result as Record<string, unknown>;
    if (BULK_COUNTS.every((key) => typeof row[key] === 'number')) {
      return Object.fromEntries(BULK_COUNTS.map((key) => [key, row[key] as number]));
    }
    if (typeof row.auditCounts === 'object' && row.auditCounts) return row.auditCounts as Record<string, number | string>;
    const target = (row.apiKey as { id?: unknown } | undefined)?.id ?? row.id;
    return typeof target === 'string' ? { affected: 1, targetId: target } : { affected: 1 };
  }
  return { affected: result ? 1 : 0 };
}
