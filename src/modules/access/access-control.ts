import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, GraphQLError, type GraphQLFieldConfig, type GraphQLSchema } from 'graphql';
import { maskPersonal, type PersonalDataMask } from '../../privacy/masking.ts';
import type { Role, Viewer } from './viewer.ts';
import { ErrorCode } from '../../graphql/errors.ts';

export function forbiddenError(what: string, allowed: readonly Role[], role: Role): GraphQLError {
  return new GraphQLError(`${what} needs an API key with role ${allowed.join(' or ')}; this key has role ${role}.`, {
    extensions: { code: ErrorCode.FORBIDDEN, requiredRoles: [...allowed], role },
  });
}

/** Roles allowed on a root field as the schema declares them (no `@allow` → ADMIN only). */
export function allowedRoles(schema: GraphQLSchema, field: Parameters<typeof getDirective>[1]): Role[] {
  const allow = getDirective(schema, field, 'allow')?.[0] as { roles: Role[] } | undefined;
  return allow?.roles ?? ['ADMIN'];
}

/**
 * Enforces `@allow` and `@personal` by wrapping resolvers:
 * - a root Query/Mutation/Subscription field is callable only by the roles in its `@allow`
 *   (ADMIN only when it has none: deny by default); other fields with `@allow` likewise;
 * - an argument with `@allow` may only be passed (non-null) by those roles;
 * - a `@personal` field's value is masked for every role but ADMIN (src/privacy/masking.ts).
 * Forbidden → GraphQL error with code FORBIDDEN naming the roles needed.
 */
export function applyAccessControl(schema: GraphQLSchema): GraphQLSchema {
  const rootTypes = new Set([schema.getQueryType()?.name, schema.getMutationType()?.name, schema.getSubscriptionType()?.name].filter(Boolean));
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig: GraphQLFieldConfig<unknown, { viewer: Viewer }>, fieldName, typeName) => {
      const root = rootTypes.has(typeName);
      const declared = getDirective(schema, fieldConfig, 'allow')?.[0] as { roles: Role[] } | undefined;
      const roles = declared?.roles ?? (root ? (['ADMIN'] as Role[]) : null);
      const argumentRules = Object.entries(fieldConfig.args ?? {}).flatMap(([name, arg]) => {
        const rule = getDirective(schema, arg, 'allow')?.[0] as { roles: Role[] } | undefined;
        return rule ? [{ name, roles: rule.roles }] : [];
      });
      const personal = (getDirective(schema, fieldConfig, 'personal')?.[0] as { mask: PersonalDataMask } | undefined)?.mask;
      if (!roles && argumentRules.length === 0 && !personal) return fieldConfig;

      const resolve = fieldConfig.resolve ?? defaultFieldResolver;
      const label = root ? fieldName : `${typeName}.${fieldName}`;
      return {
        ...fieldConfig,
        resolve(source, args, context, info) {
          const role = context.viewer.role;
          if (roles && !roles.includes(role)) throw forbiddenError(label, roles, role);
          for (const rule of argumentRules) {
            if (args[rule.name] !== undefined && args[rule.name] !== null && !rule.roles.includes(role)) {
              throw forbiddenError(`The "${rule.name}" argument of ${label}`, rule.roles, role);
            }
          }
          const value = resolve(source, args, context, info);
          if (!personal || role === 'ADMIN') return value;
          const keys = context.services.privacy.nonPersonalAttributeKeys;
          return value instanceof Promise ? value.then((resolved) => maskPersonal(personal, resolved, role, keys)) : maskPersonal(personal, value, role, keys);
        },
      };
    },
  });
}
