import type { GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import type { IMiddlewareFunction, IMiddlewareTypeMap } from 'graphql-middleware';
import type { GraphQLContext } from '../modules/graphql-context';
import { LIST_SIZES } from './list-bounds';

/** Charges a measured list by the items it really resolved to; past the cost limit it answers the cost error. */
const meter: IMiddlewareFunction = async (
  resolve,
  parent,
  args,
  context: GraphQLContext,
  info: GraphQLResolveInfo,
) => {
  const result: unknown = await resolve(parent, args, context, info);
  if (Array.isArray(result)) context.cost?.charge(info.fieldNodes[0], result.length);
  return result;
};

/** The meter on every measured list field (list-bounds.ts) that this schema has. */
export function listMeter(schema: GraphQLSchema): IMiddlewareTypeMap {
  const map: IMiddlewareTypeMap = {};
  for (const [coordinate, size] of Object.entries(LIST_SIZES)) {
    if (size.kind !== 'measured') continue;
    const [typeName, field] = coordinate.split('.');
    const type = schema.getType(typeName);
    if (!type || !('getFields' in type) || !type.getFields()[field]) continue;
    map[typeName] = {
      ...(map[typeName] as Record<string, IMiddlewareFunction> | undefined),
      [field]: meter,
    };
  }
  return map;
}
