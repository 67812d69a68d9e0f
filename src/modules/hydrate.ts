import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';

const metadata = new WeakMap<DataSource, Map<EntityTarget<ObjectLiteral>, EntityMetadata>>();

/** An entity's metadata, found once per DataSource: TypeORM's own lookup walks every entity. */
export function metadataOf<T extends ObjectLiteral>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
): EntityMetadata {
  let found = metadata.get(dataSource);
  if (!found) {
    found = new Map<EntityTarget<ObjectLiteral>, EntityMetadata>();
    metadata.set(dataSource, found);
  }
  let entityMetadata = found.get(entity);
  if (!entityMetadata) found.set(entity, (entityMetadata = dataSource.getMetadata(entity)));
  return entityMetadata;
}

/**
 * An entity from a row of a written-out statement (its columns, or `to_jsonb(t)` in a statement
 * that also fetched other things), with its columns converted as TypeORM converts them when it
 * loads the entity itself (timestamps to Dates, and so on). Lets one statement bring back several
 * kinds of rows, without the query builder's cost.
 */
export function hydrate<T extends ObjectLiteral>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
  row: Record<string, unknown>,
): T {
  const entityMetadata = metadataOf(dataSource, entity);
  const target = entityMetadata.create() as T;
  for (const column of entityMetadata.columns) {
    const value = row[column.databaseName];
    column.setEntityValue(target, dataSource.driver.prepareHydratedValue(value, column));
  }
  return target;
}
